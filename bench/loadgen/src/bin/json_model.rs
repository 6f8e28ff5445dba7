//! A small JSON model for bench/proxy_overhead.sh: answers KServe v1 requests
//! (`POST /v1/models/iris:predict`, `{"instances": [{...iris features...}]}`) with
//! `{"predictions": [...]}`, one rule on `petal_length` per instance, over keep-alive
//! HTTP/1.1. The same upstream serves the direct calls, `modelwatch proxy` and nginx.
//!
//! usage: json-model --listen 127.0.0.1:PORT [--threads N]

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

/// The number after `"petal_length":` in `body`, from `at` on, and where it ends.
fn petal_length(body: &[u8], at: usize) -> Option<(f64, usize)> {
    let key = b"\"petal_length\":";
    let start = body[at..].windows(key.len()).position(|w| w == key)? + at + key.len();
    let end = body[start..]
        .iter()
        .position(|b| !(b.is_ascii_digit() || b"+-.eE ".contains(b)))
        .map_or(body.len(), |i| start + i);
    let x = std::str::from_utf8(&body[start..end])
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some((x, end))
}

async fn predict(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.uri().path() != "/v1/models/iris:predict" {
        let mut r = Response::new(Full::new(Bytes::from_static(b"not found")));
        *r.status_mut() = StatusCode::NOT_FOUND;
        return Ok(r);
    }
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(Response::new(Full::new(Bytes::new()))),
    };
    let mut out = String::from("{\"predictions\":[");
    let mut at = 0;
    while let Some((x, end)) = petal_length(&body, at) {
        if at > 0 {
            out.push(',');
        }
        out.push_str(match x {
            x if x < 2.5 => "\"setosa\"",
            x if x < 4.9 => "\"versicolor\"",
            _ => "\"virginica\"",
        });
        at = end;
    }
    out.push_str("]}");
    let mut r = Response::new(Full::new(Bytes::from(out)));
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    Ok(r)
}

fn main() {
    let mut listen = "127.0.0.1:9000".to_string();
    let mut threads = 1usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--listen", Some(v)) => listen = v,
            ("--threads", Some(v)) => threads = v.parse().expect("--threads N"),
            _ => {
                eprintln!("usage: json-model --listen 127.0.0.1:PORT [--threads N]");
                std::process::exit(2);
            }
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async move {
        let l = tokio::net::TcpListener::bind(&listen)
            .await
            .expect("listen");
        eprintln!("json-model on http://{}", l.local_addr().expect("address"));
        loop {
            let Ok((s, _)) = l.accept().await else {
                continue;
            };
            let _ = s.set_nodelay(true);
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(s), hyper::service::service_fn(predict))
                    .await;
            });
        }
    });
}
