//! The Spin entry point every component shares: read the request, serve it with
//! [`crm_http::serve`], and hand the answer to Spin whole.
//!
//! "Whole" is the point of this crate. spin-sdk's `#[http_component]` glue hands Spin the
//! response head first and writes the body afterwards, so Spin's HTTP server (hyper, with
//! no `TCP_NODELAY` on its sockets) may send the head and a chunked body as separate small
//! segments. On a keep-alive connection the second one then waits for the client's
//! delayed ACK: about 40 ms for answers that take 1 ms to make (Nagle's algorithm). Here
//! the answer carries a `content-length`, its body is written and finished *before* the
//! head is handed over, and hyper writes head and body in one go. `docs/performance.md`
//! has the measurements before and after.
#![warn(missing_docs)]

use http::header::{CONTENT_LENGTH, HeaderValue, TRANSFER_ENCODING};
use http::{Method, StatusCode};

/// Frames an answer for one write: `content-length` of the body (none for HEAD, 204 and
/// 304, which carry no body), and no `transfer-encoding`, which is the runtime's to pick.
pub fn frame(method: &Method, response: &mut http::Response<Vec<u8>>) {
    let status = response.status();
    let bodiless = *method == Method::HEAD
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
        || status.is_informational();
    let headers = response.headers_mut();
    headers.remove(TRANSFER_ENCODING);
    if bodiless {
        headers.remove(CONTENT_LENGTH);
    } else {
        let length = response.body().len();
        response
            .headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from(length));
    }
}

#[cfg(target_arch = "wasm32")]
mod spin;
#[cfg(target_arch = "wasm32")]
pub use spin::{hand_over, read_request, serve};

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &[u8]) -> http::Response<Vec<u8>> {
        let mut r = http::Response::new(body.to_vec());
        *r.status_mut() = StatusCode::from_u16(status).expect("status");
        r
    }

    #[test]
    fn an_answer_with_a_body_carries_its_length() {
        let mut r = response(200, b"{\"ok\":true}");
        r.headers_mut()
            .insert(TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
        frame(&Method::GET, &mut r);
        assert_eq!(r.headers()[CONTENT_LENGTH], "11");
        assert!(r.headers().get(TRANSFER_ENCODING).is_none());
    }

    #[test]
    fn an_empty_answer_says_its_length_is_zero() {
        let mut r = response(200, b"");
        frame(&Method::GET, &mut r);
        assert_eq!(r.headers()[CONTENT_LENGTH], "0");
    }

    #[test]
    fn head_no_content_and_not_modified_carry_no_length() {
        for (method, status) in [
            (Method::HEAD, 200),
            (Method::DELETE, 204),
            (Method::GET, 304),
        ] {
            let mut r = response(status, b"");
            r.headers_mut()
                .insert(CONTENT_LENGTH, HeaderValue::from_static("99"));
            frame(&method, &mut r);
            assert!(
                r.headers().get(CONTENT_LENGTH).is_none(),
                "{method} {status}"
            );
        }
    }
}
