//! Passwords: argon2id (m=19456 KiB, t=2, p=1, OWASP's first choice) on a
//! bounded pool of dedicated threads, and the password rules of ASVS 5.0 §6.2.
//!
//! The pool (`auth.hash_threads` OS threads, by default one fewer than the
//! CPUs) is fed through a queue of at most `auth.hash_queue` waiting jobs.
//! Each thread allocates its argon2 memory (19 MiB of blocks) once and reuses
//! it for every hash, so a login flood costs a fixed amount of memory
//! instead of a fresh 19 MiB allocation per attempt (which glibc's allocator
//! kept long after the flood). The threads are not tokio's: reads never wait
//! behind a hash for a blocking-pool thread. When every thread is busy and
//! the queue is full, a caller gets [`HashError::Busy`] at once (a 503 with
//! `Retry-After`) rather than joining an ever longer line.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use crate::error::AppError;
use crate::messages::Msg;

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 128;

/// The parameters of new hashes, spelled out so a change of crate defaults
/// cannot silently weaken (or slow) hashing.
const M_COST: u32 = 19_456;
const T_COST: u32 = 2;
const P_COST: u32 = 1;
const OUTPUT_LEN: usize = 32;

/// A stored hash asking for more memory than this (KiB) is refused rather
/// than allocated: ours use 19 MiB; this leaves room for stronger settings.
const MAX_M_COST: u32 = 256 * 1024;

/// The salt of the hash computed for an unknown account (the result is
/// thrown away; only the time it takes matters).
const DUMMY_SALT: &[u8; 16] = b"timing-equalizer";

/// Seconds a caller turned away by a full queue is told to wait.
pub const BUSY_RETRY_AFTER_SECS: u64 = 1;

fn params() -> Params {
    Params::new(M_COST, T_COST, P_COST, Some(OUTPUT_LEN)).unwrap_or_default()
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Every hashing thread is busy and the queue is full.
    #[error("password hashing is saturated")]
    Busy,
    #[error("password hashing failed: {0}")]
    Failed(String),
}

impl From<HashError> for AppError {
    #[track_caller]
    fn from(err: HashError) -> Self {
        match err {
            HashError::Busy => AppError::HashingBusy {
                retry_after: BUSY_RETRY_AFTER_SECS,
            },
            HashError::Failed(cause) => AppError::Internal {
                cause: anyhow::anyhow!(cause),
                at: std::panic::Location::caller(),
            },
        }
    }
}

/// The hashing pool. Cheap to clone; the threads end when the last clone is
/// dropped.
#[derive(Clone)]
pub struct PasswordHasher {
    pool: Arc<Pool>,
}

struct Pool {
    jobs: mpsc::Sender<Job>,
    /// One permit per job admitted (being hashed or waiting): the bound.
    slots: Arc<Semaphore>,
    threads: usize,
    capacity: usize,
}

enum Work {
    Hash {
        password: String,
    },
    /// `phc = None`: no such account; costs a hash, always false.
    Verify {
        password: String,
        phc: Option<String>,
    },
}

enum Done {
    Hashed(String),
    Verified(bool),
}

struct Job {
    work: Work,
    reply: oneshot::Sender<Result<Done, String>>,
    slot: OwnedSemaphorePermit,
}

/// A place in the pool, taken before any other work (a database read) so a
/// saturated pool refuses a login before it costs anything else.
pub struct Ticket {
    pool: Arc<Pool>,
    slot: OwnedSemaphorePermit,
}

/// How the pool runs; see `[auth]` in `config/default.toml`.
#[derive(Debug, Clone, Copy)]
pub struct PoolOptions {
    /// 0: [`default_threads`].
    pub threads: usize,
    /// Jobs that may wait for a thread.
    pub queue: usize,
    /// Added to the threads' nice value (Linux): 0 leaves them at the
    /// process's priority; 10 lets request handling run first when both
    /// want the CPU.
    pub nice: i32,
    /// Keep each thread's argon2 memory between hashes. Off only to measure
    /// what it saves (`bench/login_flood.sh`): every hash then allocates and
    /// frees its 19 MiB, as before the pool.
    pub reuse_memory: bool,
}

impl PoolOptions {
    /// `threads` threads and `queue` places, memory kept, default priority.
    pub fn new(threads: usize, queue: usize) -> Self {
        PoolOptions {
            threads,
            queue,
            nice: 0,
            reuse_memory: true,
        }
    }
}

impl From<&crate::config::AuthConfig> for PoolOptions {
    fn from(c: &crate::config::AuthConfig) -> Self {
        PoolOptions {
            threads: c.hash_threads,
            queue: c.hash_queue,
            nice: c.hash_nice,
            reuse_memory: c.hash_reuse_memory,
        }
    }
}

/// `hash_threads = 0` means one fewer than the CPUs, at least one.
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .saturating_sub(1)
        .max(1)
}

impl PasswordHasher {
    /// `threads` hashing threads (0: [`default_threads`]) and at most `queue`
    /// jobs waiting for one.
    pub fn new(threads: usize, queue: usize) -> Self {
        Self::with_options(PoolOptions::new(threads, queue))
    }

    pub fn with_options(options: PoolOptions) -> Self {
        let threads = if options.threads == 0 {
            default_threads()
        } else {
            options.threads
        };
        let capacity = threads + options.queue;
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    lower_priority(options.nice);
                    worker(&rx, options.reuse_memory)
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        PasswordHasher {
            pool: Arc::new(Pool {
                jobs: tx,
                slots: Arc::new(Semaphore::new(capacity)),
                threads,
                capacity,
            }),
        }
    }

    pub fn threads(&self) -> usize {
        self.pool.threads
    }

    /// Jobs admitted at once: being hashed plus waiting.
    pub fn capacity(&self) -> usize {
        self.pool.capacity
    }

    /// A place in the pool, or [`HashError::Busy`] at once.
    pub fn reserve(&self) -> Result<Ticket, HashError> {
        let slot = self
            .pool
            .slots
            .clone()
            .try_acquire_owned()
            .map_err(|_| HashError::Busy)?;
        Ok(Ticket {
            pool: self.pool.clone(),
            slot,
        })
    }

    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        self.reserve()?.hash(password).await
    }

    /// Checks `password` against `hash`. With `hash = None` (no such account)
    /// it computes a hash all the same, so the answer takes the same time
    /// whether or not the account exists.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool, HashError> {
        self.reserve()?.verify(password, hash).await
    }
}

impl Ticket {
    pub async fn hash(self, password: &str) -> Result<String, HashError> {
        match self
            .run(Work::Hash {
                password: password.to_owned(),
            })
            .await?
        {
            Done::Hashed(h) => Ok(h),
            Done::Verified(_) => Err(HashError::Failed("unexpected answer".into())),
        }
    }

    pub async fn verify(self, password: &str, hash: Option<&str>) -> Result<bool, HashError> {
        match self
            .run(Work::Verify {
                password: password.to_owned(),
                phc: hash.map(str::to_owned),
            })
            .await?
        {
            Done::Verified(ok) => Ok(ok),
            Done::Hashed(_) => Err(HashError::Failed("unexpected answer".into())),
        }
    }

    async fn run(self, work: Work) -> Result<Done, HashError> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            work,
            reply,
            slot: self.slot,
        };
        self.pool
            .jobs
            .send(job)
            .map_err(|_| HashError::Failed("no hashing thread".into()))?;
        answer
            .await
            .map_err(|_| HashError::Failed("hashing thread gone".into()))?
            .map_err(HashError::Failed)
    }
}

/// One hashing thread: takes jobs until the pool is dropped, with one block
/// of argon2 memory kept for its whole life.
fn worker(jobs: &Mutex<mpsc::Receiver<Job>>, reuse_memory: bool) {
    let mut memory: Vec<Block> = Vec::new();
    loop {
        let job = {
            let rx = jobs.lock().unwrap_or_else(|e| e.into_inner());
            match rx.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        let Job { work, reply, slot } = job;
        // The caller went away (client disconnected) while it waited: its
        // answer would go nowhere.
        if reply.is_closed() {
            continue;
        }
        let done = catch_unwind(AssertUnwindSafe(|| match work {
            Work::Hash { password } => hash_with(&mut memory, &password).map(Done::Hashed),
            Work::Verify { password, phc } => Ok(Done::Verified(verify_with(
                &mut memory,
                &password,
                phc.as_deref(),
            ))),
        }))
        .unwrap_or_else(|_| Err("panic while hashing".into()));
        if !reuse_memory {
            memory = Vec::new();
        }
        drop(slot);
        let _ = reply.send(done);
    }
}

/// Raises the calling thread's nice value by `nice` (Linux: the nice value
/// is per thread). Lowering one's priority needs no privilege.
fn lower_priority(nice: i32) {
    if nice <= 0 {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        let tid = rustix::thread::gettid();
        let now = rustix::process::getpriority_process(Some(tid)).unwrap_or(0);
        if let Err(e) = rustix::process::setpriority_process(Some(tid), (now + nice).min(19)) {
            tracing::warn!(error = %e, "cannot lower the priority of a password hashing thread");
        }
    }
}

/// The first `blocks` blocks of the thread's memory, grown when needed; a
/// hash with more memory than ours gets it only for that once.
fn blocks(memory: &mut Vec<Block>, blocks: usize) -> &mut [Block] {
    let ours = params().block_count();
    if memory.len() > ours.max(blocks) {
        memory.truncate(ours);
        memory.shrink_to_fit();
    }
    if memory.len() < blocks {
        memory.resize(blocks, Block::new());
    }
    &mut memory[..blocks]
}

fn hash_with(memory: &mut Vec<Block>, password: &str) -> Result<String, String> {
    let params = params();
    let salt = Salt::generate();
    let mut out = [0u8; OUTPUT_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(
            password.as_bytes(),
            &salt,
            &mut out,
            blocks(memory, params.block_count()),
        )
        .map_err(|e| format!("argon2 hash: {e}"))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| e.to_string())?,
        salt: Some(salt),
        hash: Some(Output::new(&out).map_err(|e| e.to_string())?),
    };
    Ok(phc.to_string())
}

/// Any argon2 PHC string (ours and those made before the pool, by the
/// crate's own hasher) with the thread's memory; compared in constant time.
fn verify_with(memory: &mut Vec<Block>, password: &str, phc: Option<&str>) -> bool {
    let Some(phc) = phc else {
        let params = params();
        let mut out = [0u8; OUTPUT_LEN];
        let _ = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
            .hash_password_into_with_memory(
                password.as_bytes(),
                DUMMY_SALT,
                &mut out,
                blocks(memory, params.block_count()),
            );
        return false;
    };
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    if params.m_cost() > MAX_M_COST {
        return false;
    }
    let mut out = vec![0u8; expected.len()];
    let hashed = Argon2::new(algorithm, version, params.clone()).hash_password_into_with_memory(
        password.as_bytes(),
        salt,
        &mut out,
        blocks(memory, params.block_count()),
    );
    if hashed.is_err() {
        return false;
    }
    // `Output`'s equality is constant-time.
    Output::new(&out).is_ok_and(|computed| computed == *expected)
}

/// ASVS 5.0 §6.2: at least 8 characters, up to 128 accepted, no composition
/// rules, and the most common or guessable passwords refused. "Common" is
/// zxcvbn's estimate of fewer than a million guesses, which covers its lists of
/// common passwords, keyboard walks, repeats and dates, and the person's own
/// name, phone and email (`user_inputs`).
pub fn check_policy(password: &str, user_inputs: &[&str]) -> Result<(), Msg> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err(Msg::TooShort {
            min: MIN_LEN as u64,
        });
    }
    if len > MAX_LEN {
        return Err(Msg::TooLong {
            max: MAX_LEN as u64,
        });
    }
    let words = personal_words(user_inputs);
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let estimate = zxcvbn::zxcvbn(password, &words);
    if (estimate.score() as u8) < 2 {
        return Err(Msg::PasswordTooCommon);
    }
    Ok(())
}

/// zxcvbn matches user inputs as whole words: give it the forms a person
/// would build a password from (the email's local part, the name with and
/// without spaces, the phone's digits in national form).
fn personal_words(inputs: &[&str]) -> Vec<String> {
    let mut words = Vec::new();
    for input in inputs {
        let lower = input.trim().to_lowercase();
        if lower.is_empty() {
            continue;
        }
        if let Some((local, _)) = lower.split_once('@') {
            words.push(local.to_owned());
        }
        if let Some(national) = lower.strip_prefix("+84") {
            words.push(format!("0{national}"));
        }
        words.extend(lower.split_whitespace().map(str::to_owned));
        words.push(lower.split_whitespace().collect::<String>());
        words.push(lower);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_rules_count_characters_not_bytes() {
        assert_eq!(check_policy("short", &[]), Err(Msg::TooShort { min: 8 }));
        // 8 Vietnamese characters are 8 characters even though they are more bytes.
        assert!(check_policy("Đường Láng 7ệ", &[]).is_ok());
        let long: String = "gió-mùa-đông-bắc ".repeat(8);
        assert_eq!(long.chars().count(), 136);
        assert_eq!(check_policy(&long, &[]), Err(Msg::TooLong { max: 128 }));
        let max: String = long.chars().take(128).collect();
        assert!(check_policy(&max, &[]).is_ok());
    }

    #[test]
    fn common_passwords_are_refused() {
        for p in [
            "password",
            "12345678",
            "123456789",
            "qwertyuiop",
            "iloveyou",
            "password1",
            "aaaaaaaa",
        ] {
            assert_eq!(check_policy(p, &[]), Err(Msg::PasswordTooCommon), "{p}");
        }
        assert_eq!(
            check_policy("nguyenvanan", &["nguyenvanan@example.com", "Nguyen Van An"]),
            Err(Msg::PasswordTooCommon)
        );
        assert_eq!(
            check_policy("0912345678", &["+84912345678"]),
            Err(Msg::PasswordTooCommon)
        );
        assert!(check_policy("correct horse battery staple", &[]).is_ok());
        assert!(check_policy("mây trôi qua hồ gươm", &[]).is_ok());
    }

    #[tokio::test]
    async fn hash_and_verify() {
        let h = PasswordHasher::new(2, 4);
        let hash = h.hash("mây trôi qua hồ gươm").await.expect("hash");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            h.verify("mây trôi qua hồ gươm", Some(&hash))
                .await
                .expect("verify")
        );
        assert!(!h.verify("wrong", Some(&hash)).await.expect("verify"));
        assert!(!h.verify("anything", None).await.expect("verify"));
        assert!(
            !h.verify("anything", Some("not a hash"))
                .await
                .expect("verify")
        );
        // Two hashes of one password differ (a fresh salt each time).
        let again = h.hash("mây trôi qua hồ gươm").await.expect("hash");
        assert_ne!(hash, again);
    }

    #[tokio::test]
    async fn the_crate_reads_our_hashes_and_we_read_older_ones() {
        use argon2::{PasswordHasher as _, PasswordVerifier as _};
        let h = PasswordHasher::new(1, 4);
        // Ours, checked by the crate's own verifier.
        let ours = h.hash("correct horse battery staple").await.expect("hash");
        assert!(
            Argon2::default()
                .verify_password(b"correct horse battery staple", ours.as_str())
                .is_ok()
        );
        // Stored before the pool: made by the crate's own hasher.
        let before = Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
            .hash_password(b"correct horse battery staple")
            .expect("hash")
            .to_string();
        assert!(
            h.verify("correct horse battery staple", Some(&before))
                .await
                .expect("verify")
        );
        assert!(
            !h.verify("correct horse", Some(&before))
                .await
                .expect("verify")
        );
        // The crate's test vectors for "password": other variants, versions
        // and costs, with optional data.
        for phc in [
            "$argon2i$v=19$m=65536,t=1,p=1$c29tZXNhbHQAAAAAAAAAAA$+r0d29hqEB0yasKr55ZgICsQGSkl0v0kgwhd+U3wyRo",
            "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
            "$argon2d$v=19$m=65536,t=2,p=1$YzI5dFpYTmhiSFFBQUFBQUFBQUFBQQ$Jxy74cswY2mq9y+u+iJcJy8EqOp4t/C7DWDzGwGB3IM",
            "$argon2d$v=16$m=32,t=2,p=3,data=Dw8PDw8P$AAAAAAAAAAA$KnH4gniiaFnDvlA1xev3yovC4cnrrI6tnHOYtmja90o",
        ] {
            assert!(
                h.verify("password", Some(phc)).await.expect("verify"),
                "{phc}"
            );
            assert!(
                !h.verify("passwore", Some(phc)).await.expect("verify"),
                "{phc}"
            );
        }
        // After a larger hash the thread still hashes with its own memory.
        let after = h.hash("mây trôi qua hồ gươm").await.expect("hash");
        assert!(
            h.verify("mây trôi qua hồ gươm", Some(&after))
                .await
                .expect("verify")
        );
    }

    #[tokio::test]
    async fn a_full_pool_refuses_at_once() {
        // One thread, nothing may wait: one job at a time.
        let h = PasswordHasher::new(1, 0);
        assert_eq!(h.capacity(), 1);
        let held = h.reserve().expect("the only place");
        assert!(matches!(h.reserve(), Err(HashError::Busy)));
        assert!(matches!(h.hash("a password").await, Err(HashError::Busy)));
        assert!(matches!(
            h.verify("a password", None).await,
            Err(HashError::Busy)
        ));
        // The place comes back once its job is done.
        assert!(!held.verify("a password", None).await.expect("verify"));
        assert!(h.hash("a password").await.is_ok());
        // Also while a job runs: the second caller is refused, not queued.
        let h2 = h.clone();
        let running = tokio::spawn(async move { h2.hash("a password").await });
        while h.pool.slots.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        assert!(matches!(h.hash("another").await, Err(HashError::Busy)));
        assert!(running.await.expect("join").is_ok());
    }

    #[tokio::test]
    async fn concurrent_hashes_all_complete() {
        let h = PasswordHasher::new(2, 16);
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let h = h.clone();
                tokio::spawn(async move {
                    let password = format!("mật khẩu số {i}");
                    let hash = h.hash(&password).await.expect("hash");
                    (
                        h.verify(&password, Some(&hash)).await.expect("verify"),
                        hash,
                    )
                })
            })
            .collect();
        let mut hashes = std::collections::HashSet::new();
        for t in tasks {
            let (ok, hash) = t.await.expect("join");
            assert!(ok);
            hashes.insert(hash);
        }
        assert_eq!(hashes.len(), 16);
        assert!(h.threads() == 2);
    }

    #[tokio::test]
    async fn options_lower_priority_and_may_free_memory() {
        let h = PasswordHasher::with_options(PoolOptions {
            threads: 1,
            queue: 2,
            nice: 7,
            reuse_memory: false,
        });
        for _ in 0..2 {
            let hash = h.hash("mây trôi qua hồ gươm").await.expect("hash");
            assert!(
                h.verify("mây trôi qua hồ gươm", Some(&hash))
                    .await
                    .expect("verify")
            );
        }
        // Linux: the thread named argon2-0 of this pool runs 7 nicer than
        // the process (several pools may exist in the test process: one of
        // them has it).
        #[cfg(target_os = "linux")]
        {
            let base = rustix::process::getpriority_process(None).expect("nice");
            let mut nices = vec![];
            for task in std::fs::read_dir("/proc/self/task")
                .expect("tasks")
                .flatten()
            {
                let path = task.path();
                let name = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
                if name.trim() == "argon2-0" {
                    let stat = std::fs::read_to_string(path.join("stat")).unwrap_or_default();
                    // Fields after the command's closing parenthesis; nice is field 19.
                    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
                    if let Some(n) = rest.split_whitespace().nth(16) {
                        nices.push(n.parse::<i32>().unwrap_or(0));
                    }
                }
            }
            assert!(nices.contains(&(base + 7).min(19)), "{nices:?}");
        }
    }

    #[test]
    fn default_threads_leave_a_core() {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(default_threads(), cpus.saturating_sub(1).max(1));
        assert_eq!(PasswordHasher::new(0, 0).threads(), default_threads());
    }
}
