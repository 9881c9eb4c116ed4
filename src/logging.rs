//! Logs written off the request path: env_logger formats each line into a channel,
//! and one thread writes them to standard error in batches. A synchronous write
//! per access-log line cost 20–40% of throughput; this costs a channel send. When
//! the writer falls behind by [`CAPACITY`] lines, new lines are dropped and counted
//! rather than slowing requests.

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};

/// Lines that may wait for the writer.
const CAPACITY: usize = 65_536;

static DROPPED: AtomicU64 = AtomicU64::new(0);

/// A `Write` that hands each formatted line to the writer thread.
struct ChannelWriter {
    sender: SyncSender<Vec<u8>>,
    line: Vec<u8>,
}

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.line.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.line.is_empty() {
            return Ok(());
        }
        let line = std::mem::take(&mut self.line);
        match self.sender.try_send(line) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                DROPPED.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Disconnected(line)) => {
                let _ = io::stderr().write_all(&line);
            }
        }
        Ok(())
    }
}

fn write_lines(receiver: Receiver<Vec<u8>>) {
    let stderr = io::stderr();
    while let Ok(first) = receiver.recv() {
        let mut out = stderr.lock();
        let _ = out.write_all(&first);
        while let Ok(more) = receiver.try_recv() {
            let _ = out.write_all(&more);
        }
        let dropped = DROPPED.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            let _ = writeln!(
                out,
                "[log] {dropped} log lines dropped: the log writer fell behind"
            );
        }
        let _ = out.flush();
    }
}

/// Starts logging at `RUST_LOG` (default `info`) through the writer thread.
pub fn init() {
    let (sender, receiver) = mpsc::sync_channel(CAPACITY);
    let spawned = std::thread::Builder::new()
        .name("log-writer".to_owned())
        .spawn(move || write_lines(receiver));
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    // Plain text: styling each line only to strip the styles again cost ~4% of a
    // request in the profile.
    builder.write_style(env_logger::WriteStyle::Never);
    if spawned.is_ok() {
        builder.target(env_logger::Target::Pipe(Box::new(ChannelWriter {
            sender,
            line: Vec::with_capacity(256),
        })));
    }
    builder.init();
}
