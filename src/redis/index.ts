// grantline/redis: the token manager store on node-redis (issue 11). Placeholder until the store lands.
export {}
