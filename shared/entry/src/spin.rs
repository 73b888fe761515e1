//! The part that talks to Spin: wasi:http 0.2 through spin-sdk.

use crm_http::{ApiError, RequestId, Service};
use spin_sdk::http::conversions::TryFromIncomingRequest;
use spin_sdk::http::{Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam};

/// Most bytes one `blocking-write-and-flush` takes (wasi:io 0.2).
const WRITE_LIMIT: usize = 4096;

/// Serves one request of `service` over the component's Spin stores.
pub async fn serve(service: &Service, request: IncomingRequest, out: ResponseOutparam) {
    let response = match read_request(request).await {
        Ok(request) => {
            let method = request.method().clone();
            let mut response = crm_http::serve(service, request, &crm_store::spin::stores());
            super::frame(&method, &mut response);
            response
        }
        Err(response) => response,
    };
    hand_over(out, response);
}

/// The request with its whole body, or the problem+json answer when the body could not
/// be read (the client went away mid-body).
pub async fn read_request(
    request: IncomingRequest,
) -> Result<http::Request<Vec<u8>>, http::Response<Vec<u8>>> {
    match http::Request::<Vec<u8>>::try_from_incoming_request(request).await {
        Ok(request) => Ok(request),
        Err(e) => {
            eprintln!("cannot read the request: {e}");
            let mut response = ApiError::BadRequest {
                code: "unreadable_body",
                detail: "the request body could not be read".into(),
            }
            .to_response(&RequestId::from_header(None));
            super::frame(&http::Method::POST, &mut response);
            Err(response)
        }
    }
}

/// Hands `response` to Spin. A body that fits the runtime's first write (wasmtime-wasi-http
/// buffers one chunk of 1 MiB before anyone reads) is written and finished before the head
/// is set, so the server has the whole answer when it starts writing; a larger one is
/// streamed after the head, as the SDK does.
pub fn hand_over(out: ResponseOutparam, response: http::Response<Vec<u8>>) {
    let (parts, body) = response.into_parts();
    let headers = Fields::new();
    for (name, value) in &parts.headers {
        if let Err(e) = headers.append(name.as_ref(), value.as_bytes()) {
            eprintln!("response header {name} refused: {e:?}");
        }
    }
    let outgoing = OutgoingResponse::new(headers);
    if outgoing.set_status_code(parts.status.as_u16()).is_err() {
        eprintln!("status {} refused", parts.status);
    }
    let Ok(outgoing_body) = outgoing.body() else {
        eprintln!("the response body was already taken");
        return;
    };
    let Ok(stream) = outgoing_body.write() else {
        eprintln!("the response body stream was already taken");
        return;
    };
    let whole_fits = stream
        .check_write()
        .is_ok_and(|budget| body.len() as u64 <= budget);
    if whole_fits {
        if !body.is_empty()
            && let Err(e) = stream.write(&body)
        {
            eprintln!("cannot write the response body: {e:?}");
        }
        drop(stream);
        if let Err(e) = OutgoingBody::finish(outgoing_body, None) {
            eprintln!("cannot finish the response body: {e:?}");
        }
        out.set(outgoing);
        return;
    }
    out.set(outgoing);
    for chunk in body.chunks(WRITE_LIMIT) {
        if let Err(e) = stream.blocking_write_and_flush(chunk) {
            eprintln!("cannot write the response body: {e:?}");
            break;
        }
    }
    drop(stream);
    if let Err(e) = OutgoingBody::finish(outgoing_body, None) {
        eprintln!("cannot finish the response body: {e:?}");
    }
}
