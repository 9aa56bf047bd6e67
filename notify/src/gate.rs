//! The stream under lettre's SMTP connection that can hold back a
//! message's final `.` until the sender has recorded it sent (`smtp.rs`,
//! docs/notifications.md).

use lettre::transport::smtp::client::AsyncTokioStream;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::oneshot;

/// The hold on one connection's final `.`.
#[derive(Default)]
pub(crate) struct GateState {
    /// Set after `DATA`'s 354: the next flush ends the body.
    pub(crate) armed: bool,
    pub(crate) body_flushed: bool,
    /// The sender's decision: `true` lets the `.` through, `false` breaks it.
    pub(crate) verdict: Option<bool>,
    /// Told when the `.` is being held (the body is at the server).
    pub(crate) at_gate: Option<oneshot::Sender<()>>,
    pub(crate) waker: Option<Waker>,
}

/// A stream that can hold back the final `.` of a message. Under
/// `STARTTLS` it sits below the TLS layer and holds the record carrying it.
pub(crate) struct Gated<S> {
    pub(crate) inner: S,
    pub(crate) gate: Arc<Mutex<GateState>>,
}

impl<S> std::fmt::Debug for Gated<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Gated")
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Gated<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Gated<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        {
            let mut g = self.gate.lock().expect("gate lock");
            if g.armed && g.body_flushed {
                match g.verdict {
                    None => {
                        if let Some(tx) = g.at_gate.take() {
                            let _ = tx.send(());
                        }
                        g.waker = Some(cx.waker().clone());
                        return Poll::Pending;
                    }
                    Some(false) => {
                        return Poll::Ready(Err(io::Error::other(
                            "invio annullato prima del punto",
                        )))
                    }
                    Some(true) => *g = GateState::default(),
                }
            }
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let done = Pin::new(&mut self.inner).poll_flush(cx);
        if let Poll::Ready(Ok(())) = done {
            let mut g = self.gate.lock().expect("gate lock");
            if g.armed {
                g.body_flushed = true;
            }
        }
        done
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for Gated<tokio::net::TcpStream> {
    fn peer_addr(&self) -> io::Result<std::net::SocketAddr> {
        self.inner.peer_addr()
    }
}

impl AsyncTokioStream for Gated<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
    fn peer_addr(&self) -> io::Result<std::net::SocketAddr> {
        self.inner.get_ref().0.peer_addr()
    }
}
