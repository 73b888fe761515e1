//! Component stdout/stderr, written where `spin up` writes them:
//! `<state-dir>/logs/<component>_stdout.txt` and `_stderr.txt`, appended to
//! (Spin's `crates/trigger/src/cli/stdio.rs`), and echoed to the host's own
//! stdout/stderr when following (the `crm-host` command's default, as `spin up`'s).

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError, StreamResult};

/// Where echoed output goes, if anywhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Echo {
    None,
    Stdout,
    Stderr,
}

/// One component stream: an append-mode log file plus an optional echo.
#[derive(Clone)]
pub struct LogSink {
    file: Arc<File>,
    echo: Echo,
}

impl LogSink {
    pub fn open(path: &Path, echo: Echo) -> std::io::Result<Self> {
        let file = File::options().create(true).append(true).open(path)?;
        Ok(Self {
            file: Arc::new(file),
            echo,
        })
    }

    fn write_all(&self, buf: &[u8]) -> std::io::Result<()> {
        (&*self.file).write_all(buf)?;
        match self.echo {
            Echo::None => {}
            // Echo failures (closed terminal) must not fail the guest's write.
            Echo::Stdout => drop(std::io::stdout().lock().write_all(buf)),
            Echo::Stderr => drop(std::io::stderr().lock().write_all(buf)),
        }
        Ok(())
    }
}

impl IsTerminal for LogSink {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for LogSink {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[async_trait::async_trait]
impl Pollable for LogSink {
    async fn ready(&mut self) {}
}

impl OutputStream for LogSink {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.write_all(&bytes)
            .map_err(|e| StreamError::LastOperationFailed(wasmtime::format_err!(e)))
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(1024 * 1024)
    }
}

impl AsyncWrite for LogSink {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(self.write_all(buf).map(|()| buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Spin sanitises the component id for the file name; component ids are
/// kebab-case, which is already safe, so only path separators need care.
pub fn log_file_name(component: &str, stream: &str) -> String {
    let safe: String = component
        .chars()
        .map(|c| if c == '/' || c == '\\' { '_' } else { c })
        .collect();
    format!("{safe}_{stream}.txt")
}
