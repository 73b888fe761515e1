//! `crm-token`: prints a development JWT for the CRM.
//!
//! ```sh
//! cargo run -q --manifest-path tests/Cargo.toml -p crm-token -- --sub teller-1 --roles teller
//! ```
//!
//! Options: `--sub ID` (required), `--roles a,b` (required), `--branch B`, `--ttl SECS`
//! (default 3600). The secret, issuer and audience come from the same
//! `SPIN_VARIABLE_AUTH_*` environment variables Spin reads, falling back to the
//! development values `scripts/run` sets.

use std::process::ExitCode;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut sub, mut roles, mut branch, mut ttl) = (None, None, None, 3600i64);
    while let Some(flag) = args.next() {
        let value = args.next();
        match (flag.as_str(), value) {
            ("--sub", Some(v)) => sub = Some(v),
            ("--roles", Some(v)) => roles = Some(v),
            ("--branch", Some(v)) => branch = Some(v),
            ("--ttl", Some(v)) => match v.parse() {
                Ok(n) => ttl = n,
                Err(_) => return usage("--ttl takes seconds"),
            },
            _ => return usage(&format!("unexpected argument {flag}")),
        }
    }
    let (Some(sub), Some(roles)) = (sub, roles) else {
        return usage("--sub and --roles are required");
    };
    let roles: Vec<&str> = roles.split(',').map(str::trim).collect();
    let secret = env_or("SPIN_VARIABLE_AUTH_JWT_HS256_SECRET", crm_token::DEV_SECRET);
    let issuer = env_or("SPIN_VARIABLE_AUTH_ISSUER", crm_token::DEV_ISSUER);
    let audience = env_or("SPIN_VARIABLE_AUTH_AUDIENCE", crm_token::DEV_AUDIENCE);
    let mut claims = crm_token::claims(&sub, &roles, &issuer, &audience, ttl);
    if let (Some(branch), Some(map)) = (branch, claims.as_object_mut()) {
        map.insert("branch".into(), branch.into());
    }
    println!("{}", crm_token::hs256(&claims, secret.as_bytes()));
    ExitCode::SUCCESS
}

fn usage(problem: &str) -> ExitCode {
    eprintln!(
        "crm-token: {problem}\nusage: crm-token --sub ID --roles role[,role] [--branch B] [--ttl SECS]\n\
         roles: teller call_centre relationship_manager underwriter marketing risk_officer auditor admin customer"
    );
    ExitCode::from(2)
}
