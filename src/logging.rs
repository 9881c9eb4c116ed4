//! Logs written off the request path: lines (env_logger's, and access-log lines
//! formatted here) are appended to the logging thread's own buffer under a short
//! lock, and one thread writes what has gathered in every buffer to standard
//! error every few milliseconds. A synchronous write per access-log line cost
//! 20–40 % of throughput, and a channel send per line still woke the writer (a
//! futex call and a context switch) for every request, ~30 %; appending costs a
//! lock and a copy. One buffer per thread, not one for all: the workers would
//! otherwise take turns writing the same lock and the same tail of one buffer.
//! Lines of one thread keep their order; lines of different threads are written
//! a buffer at a time (each line carries its time). When more than
//! [`MAX_PENDING`] bytes wait in a buffer, new lines are dropped and counted
//! rather than slowing requests.

use std::io::{self, Write};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::http::header::HeaderValue;
use actix_web::http::{Method, Version};

/// The log target of access-log lines (`RUST_LOG=stackatlas::access=off` mutes them).
pub const ACCESS_TARGET: &str = "stackatlas::access";

/// What one access-log line says.
pub struct AccessRecord<'a> {
    /// The client's address (as the rate limiter sees it).
    pub client: Option<IpAddr>,
    /// The request's method (before HEAD is answered as GET).
    pub method: &'a Method,
    /// The request target (path and query).
    pub target: &'a str,
    /// The HTTP version.
    pub version: Version,
    /// The answer's status.
    pub status: u16,
    /// Body bytes, when known before sending.
    pub size: Option<u64>,
    /// Time to the answer's head.
    pub elapsed: std::time::Duration,
    /// The answer's request id.
    pub request_id: &'a HeaderValue,
    /// The client's `User-Agent`.
    pub user_agent: Option<&'a HeaderValue>,
}

/// Most bytes that may wait for the writer in one thread's buffer.
const MAX_PENDING: usize = 8 * 1024 * 1024;
/// How often the writer looks for lines while they keep coming. Often, so that
/// each worker's buffer stays small enough to stay in its core's cache: at 55,000
/// list answers a second, 5 ms let ~55 KB gather per worker, and the list page
/// (53 KB answers, whose copies fill the cache already) ran 4.7–5.7% slower than
/// with 1 ms (interleaved A/B, 2 sets of 5 pairs of 5 × 2 s; detail ±0: 1.003).
const BUSY_INTERVAL: Duration = Duration::from_millis(1);
/// How often it looks when there were none (it backs off up to this).
const IDLE_INTERVAL: Duration = Duration::from_millis(50);

static DROPPED: AtomicU64 = AtomicU64::new(0);
/// One thread's lines waiting for the writer.
type Pending = Arc<Mutex<Vec<u8>>>;
/// Every thread's buffer (a thread's is added on its first line).
static BUFFERS: Mutex<Vec<Pending>> = Mutex::new(Vec::new());
/// Whether the writer thread runs (else lines go straight to standard error).
static WRITER_RUNS: AtomicBool = AtomicBool::new(false);
/// Whether `RUST_LOG` lets access-log lines through.
static ACCESS_ON: AtomicBool = AtomicBool::new(false);

/// Hands a whole line to the writer.
fn push(line: &[u8]) {
    if !WRITER_RUNS.load(Ordering::Relaxed) {
        let _ = io::stderr().write_all(line);
        return;
    }
    thread_local! {
        static MINE: Pending = {
            let mine = Pending::default();
            if let Ok(mut buffers) = BUFFERS.lock() {
                buffers.push(mine.clone());
            }
            mine
        };
    }
    let buffered = MINE.try_with(|mine| {
        if let Ok(mut pending) = mine.lock() {
            if pending.len() + line.len() > MAX_PENDING {
                DROPPED.fetch_add(1, Ordering::Relaxed);
            } else {
                pending.extend_from_slice(line);
            }
        }
    });
    // A line logged while the thread ends, after its buffer is gone.
    if buffered.is_err() {
        let _ = io::stderr().write_all(line);
    }
}

/// A `Write` that hands each formatted env_logger record to the writer.
struct PendingWriter {
    line: Vec<u8>,
}

impl Write for PendingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.line.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.line.is_empty() {
            push(&self.line);
            self.line.clear();
        }
        Ok(())
    }
}

/// Writes what has gathered in every buffer; true when there was something.
/// The buffers of threads that have ended are let go once written.
fn write_pending(spare: &mut Vec<u8>) -> bool {
    let buffers: Vec<Pending> = match BUFFERS.lock() {
        Ok(mut buffers) => {
            let all = buffers.clone();
            // Only this list holds the buffer of an ended thread; it is written
            // below, from `all`, for the last time.
            buffers.retain(|buffer| Arc::strong_count(buffer) > 2);
            all
        }
        Err(_) => Vec::new(),
    };
    let mut out = io::stderr().lock();
    let mut wrote = false;
    for buffer in buffers {
        if let Ok(mut pending) = buffer.lock() {
            std::mem::swap(&mut *pending, spare);
        }
        if !spare.is_empty() {
            let _ = out.write_all(spare);
            spare.clear();
            wrote = true;
        }
    }
    let dropped = DROPPED.swap(0, Ordering::Relaxed);
    if dropped > 0 {
        let _ = writeln!(
            out,
            "[log] {dropped} log lines dropped: the log writer fell behind"
        );
        wrote = true;
    }
    if wrote {
        let _ = out.flush();
    }
    wrote
}

fn write_lines() {
    let mut spare = Vec::new();
    let mut interval = BUSY_INTERVAL;
    loop {
        std::thread::sleep(interval);
        interval = if write_pending(&mut spare) {
            BUSY_INTERVAL
        } else {
            (interval * 2).min(IDLE_INTERVAL)
        };
    }
}

/// Writes every waiting line now (before the process exits).
pub fn flush() {
    write_pending(&mut Vec::new());
}

/// Starts logging at `RUST_LOG` (default `info`) through the writer thread.
pub fn init() {
    let spawned = std::thread::Builder::new()
        .name("log-writer".to_owned())
        .spawn(write_lines);
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    // Plain text: styling each line only to strip the styles again cost ~4% of a
    // request in the profile.
    builder.write_style(env_logger::WriteStyle::Never);
    if spawned.is_ok() {
        WRITER_RUNS.store(true, Ordering::Relaxed);
        builder.target(env_logger::Target::Pipe(Box::new(PendingWriter {
            line: Vec::with_capacity(256),
        })));
    }
    builder.init();
    ACCESS_ON.store(
        log::log_enabled!(target: ACCESS_TARGET, log::Level::Info),
        Ordering::Relaxed,
    );
}

/// Whether access-log lines are written (logging started, and `RUST_LOG` lets
/// [`ACCESS_TARGET`] through at `info`).
pub fn access_enabled() -> bool {
    ACCESS_ON.load(Ordering::Relaxed)
}

/// Writes one access-log line, in env_logger's layout:
/// `[2026-11-26T03:04:05Z INFO  stackatlas::access] 127.0.0.1 "GET /v1/technologies HTTP/1.1" 200 52698 0.412ms rid=… "curl/8.5.0"`
/// — client address, request line, status, body bytes (`-` when streamed), time to
/// the answer's head, request id, user agent. Formatted here rather than through
/// `log`'s formatting machinery, which cost ~10% of a cached request.
pub fn access(record: &AccessRecord<'_>) {
    thread_local! {
        /// The line being formatted: one buffer per thread, reused.
        static LINE: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(Vec::with_capacity(512));
    }
    let formatted = LINE.try_with(|line| {
        let mut line = line.borrow_mut();
        line.clear();
        format_access(&mut line, record);
        push(&line);
    });
    if formatted.is_err() {
        // Logged while the thread ends, after its buffer is gone.
        let mut line = Vec::new();
        format_access(&mut line, record);
        push(&line);
    }
}

fn format_access(line: &mut Vec<u8>, record: &AccessRecord<'_>) {
    let mut digits = itoa::Buffer::new();
    line.push(b'[');
    timestamp(line);
    line.extend_from_slice(b" INFO  ");
    line.extend_from_slice(ACCESS_TARGET.as_bytes());
    line.extend_from_slice(b"] ");
    match record.client {
        Some(ip) => push_ip(line, ip),
        None => line.push(b'-'),
    }
    line.extend_from_slice(b" \"");
    line.extend_from_slice(record.method.as_str().as_bytes());
    line.push(b' ');
    line.extend_from_slice(record.target.as_bytes());
    line.extend_from_slice(match record.version {
        Version::HTTP_09 => b" HTTP/0.9\" ",
        Version::HTTP_10 => b" HTTP/1.0\" ",
        Version::HTTP_2 => b" HTTP/2.0\" ",
        Version::HTTP_3 => b" HTTP/3.0\" ",
        _ => b" HTTP/1.1\" ",
    });
    line.extend_from_slice(digits.format(record.status).as_bytes());
    line.push(b' ');
    match record.size {
        Some(size) => line.extend_from_slice(digits.format(size).as_bytes()),
        None => line.push(b'-'),
    }
    // Milliseconds with three decimals, from whole microseconds.
    let micros = record.elapsed.as_micros();
    line.push(b' ');
    line.extend_from_slice(digits.format(micros / 1000).as_bytes());
    line.push(b'.');
    let fraction = (micros % 1000) as u16;
    line.extend_from_slice(&[
        b'0' + (fraction / 100) as u8,
        b'0' + (fraction / 10 % 10) as u8,
        b'0' + (fraction % 10) as u8,
    ]);
    line.extend_from_slice(b"ms rid=");
    line.extend_from_slice(record.request_id.as_bytes());
    line.extend_from_slice(b" \"");
    if let Some(agent) = record.user_agent {
        for &byte in agent.as_bytes() {
            if byte == b'"' || byte == b'\\' {
                line.push(b'\\');
            }
            line.push(byte);
        }
    } else {
        line.push(b'-');
    }
    line.extend_from_slice(b"\"\n");
}

/// An address as text, as `Display` writes it; IPv4 digit by digit, without the
/// formatting machinery (this runs for every request).
fn push_ip(line: &mut Vec<u8>, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    line.push(b'.');
                }
                if octet >= 100 {
                    line.push(b'0' + octet / 100);
                }
                if octet >= 10 {
                    line.push(b'0' + octet / 10 % 10);
                }
                line.push(b'0' + octet % 10);
            }
        }
        IpAddr::V6(v6) => {
            let _ = write!(line, "{v6}");
        }
    }
}

/// `2026-11-26T03:04:05Z`, the current second in UTC; computed once per second
/// per thread.
fn timestamp(out: &mut Vec<u8>) {
    thread_local! {
        static LAST: std::cell::Cell<(u64, [u8; 20])> = const { std::cell::Cell::new((u64::MAX, [0; 20])) };
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let text = LAST.with(|last| {
        let (second, text) = last.get();
        if second == now {
            return text;
        }
        let text = format_utc(now);
        last.set((now, text));
        text
    });
    out.extend_from_slice(&text);
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ` (jiff's RFC 3339 form of a
/// whole-second timestamp).
fn format_utc(seconds: u64) -> [u8; 20] {
    let mut text = *b"1970-01-01T00:00:00Z";
    if let Some(timestamp) = i64::try_from(seconds)
        .ok()
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
    {
        let formatted = timestamp.to_string();
        if formatted.len() == text.len() {
            text.copy_from_slice(formatted.as_bytes());
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::{format_utc, push_ip};

    #[test]
    fn addresses_are_written_as_std_writes_them() {
        for text in [
            "0.0.0.0",
            "255.255.255.255",
            "10.0.100.9",
            "192.168.1.20",
            "127.0.0.1",
            "::1",
            "2001:db8::ff00:42:8329",
        ] {
            let ip: IpAddr = text.parse().expect("an address");
            let mut line = b"x".to_vec();
            push_ip(&mut line, ip);
            assert_eq!(line, format!("x{ip}").into_bytes());
        }
    }

    #[test]
    fn timestamps_are_utc_civil_dates() {
        assert_eq!(&format_utc(0), b"1970-01-01T00:00:00Z");
        assert_eq!(&format_utc(951_782_400), b"2000-02-29T00:00:00Z");
        assert_eq!(&format_utc(1_795_662_245), b"2026-11-26T03:04:05Z");
    }
}
