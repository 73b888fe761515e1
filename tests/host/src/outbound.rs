//! Outbound `wasi:http`: refused unless the destination is listed in the
//! component's `allowed_outbound_hosts`, as Spin's outbound HTTP factor does
//! (`crates/factor-outbound-http/src/wasi.rs` answers `HttpRequestDenied`).
//!
//! The matcher understands `scheme://host[:port]` with `*` for any scheme,
//! host or port; Spin's richer syntax (`*.example.com`, port ranges,
//! `{{ variables }}`, `http://self`, service chaining) is refused at start-up
//! so that a manifest never means something different here. Allowed requests
//! are sent over plain HTTP/1.1; HTTPS is not implemented by this host.

use std::future::Future;

use anyhow::Result;
use http_body_util::BodyExt;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    scheme: Option<String>,
    host: Option<String>,
    port: Option<u16>,
}

/// Parses `allowed_outbound_hosts`, refusing what this host cannot honour.
pub fn parse_allowed_hosts(component: &str, entries: &[String]) -> Result<Vec<AllowedHost>> {
    entries
        .iter()
        .map(|entry| {
            parse_one(entry).map_err(|why| {
                anyhow::anyhow!(
                    "[component.{component}] allowed_outbound_hosts entry {entry:?}: {why}"
                )
            })
        })
        .collect()
}

fn parse_one(entry: &str) -> Result<AllowedHost, String> {
    if entry.contains("{{") {
        return Err("variable templates are not supported by crm-host".into());
    }
    let Some((scheme, rest)) = entry.split_once("://") else {
        return Err("expected scheme://host[:port]".into());
    };
    if rest.contains('/') {
        return Err("must not contain a path".into());
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (rest, None),
    };
    if host.is_empty() || (host != "*" && host.contains('*')) {
        return Err("only an exact host or `*` is supported by crm-host".into());
    }
    if host == "self" || host.ends_with(".spin.internal") {
        return Err("self requests and service chaining are not supported by crm-host".into());
    }
    let scheme = (scheme != "*").then(|| scheme.to_ascii_lowercase());
    let port =
        match port {
            None => match scheme.as_deref() {
                Some("http") => Some(80),
                Some("https") => Some(443),
                _ => return Err("a port is required unless the scheme is http or https".into()),
            },
            Some("*") => None,
            Some(p) => Some(p.parse::<u16>().map_err(
                |_| "port must be a number or `*` (ranges are not supported by crm-host)",
            )?),
        };
    Ok(AllowedHost {
        scheme,
        host: (host != "*").then(|| host.to_ascii_lowercase()),
        port,
    })
}

fn is_allowed(allowed: &[AllowedHost], scheme: &str, host: &str, port: u16) -> bool {
    allowed.iter().any(|a| {
        a.scheme.as_deref().is_none_or(|s| s == scheme)
            && a.host
                .as_deref()
                .is_none_or(|h| h.eq_ignore_ascii_case(host))
            && a.port.is_none_or(|p| p == port)
    })
}

/// The `wasi:http` hooks of one component instance.
pub struct OutboundHooks {
    pub allowed: std::sync::Arc<Vec<AllowedHost>>,
}

type SendFuture = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), HttpError>> + Send>,
                ),
                HttpError,
            >,
        > + Send,
>;

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        _options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> SendFuture {
        let allowed = self.allowed.clone();
        Box::new(async move {
            let uri = request.uri().clone();
            let scheme = uri.scheme_str().unwrap_or("https").to_ascii_lowercase();
            let host = uri.host().unwrap_or_default().to_string();
            let port = uri
                .port_u16()
                .unwrap_or(if scheme == "http" { 80 } else { 443 });
            if host.is_empty() || !is_allowed(&allowed, &scheme, &host, port) {
                return Err(HttpError::HttpRequestDenied);
            }
            if scheme != "http" {
                return Err(HttpError::InternalError(Some(
                    "crm-host sends outbound requests over plain http only".to_string(),
                )));
            }
            send_plain_http(request, &host, port).await
        })
    }
}

async fn send_plain_http(
    mut request: http::Request<WasiBody>,
    host: &str,
    port: u16,
) -> Result<
    (
        http::Response<WasiBody>,
        Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ),
    HttpError,
> {
    let stream = tokio::net::TcpStream::connect((host, port))
        .await
        .map_err(HttpError::Connect)?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    let io = tokio::spawn(conn);
    // HTTP/1.1 origin-form on the wire.
    if let Some(pq) = request.uri().path_and_query().cloned() {
        *request.uri_mut() = http::Uri::from(pq);
    }
    let response = sender.send_request(request).await?;
    let response = response.map(|body| body.map_err(HttpError::from).boxed_unsync());
    let io: Box<dyn Future<Output = Result<(), HttpError>> + Send> = Box::new(async move {
        match io.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(HttpError::from(e)),
            Err(e) => Err(HttpError::InternalError(Some(e.to_string()))),
        }
    });
    Ok((response, io))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(entries: &[&str]) -> Result<Vec<AllowedHost>> {
        let entries: Vec<String> = entries.iter().map(|s| s.to_string()).collect();
        parse_allowed_hosts("c", &entries)
    }

    #[test]
    fn empty_list_denies_everything() {
        let allowed = parse(&[]).expect("parse");
        assert!(!is_allowed(&allowed, "https", "example.com", 443));
    }

    #[test]
    fn exact_and_wildcards() {
        let allowed = parse(&["http://localhost:8080", "https://api.example.com"]).expect("parse");
        assert!(is_allowed(&allowed, "http", "localhost", 8080));
        assert!(!is_allowed(&allowed, "http", "localhost", 8081));
        assert!(is_allowed(&allowed, "https", "api.example.com", 443));
        assert!(!is_allowed(&allowed, "http", "api.example.com", 80));
        let any = parse(&["*://*:*"]).expect("parse");
        assert!(is_allowed(&any, "http", "anything", 1));
    }

    #[test]
    fn unsupported_syntax_is_refused() {
        for bad in [
            "https://*.example.com",
            "http://self",
            "{{ host }}",
            "example.com",
            "http://x:1..5",
        ] {
            assert!(parse(&[bad]).is_err(), "{bad}");
        }
    }
}
