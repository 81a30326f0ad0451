// grantline/passport: a Passport strategy on grantline (issue 12). Placeholder until the strategy lands.
export {}
