//! Cores and CPU time: pinning threads to cores (`sched_setaffinity`), and the CPU time of a
//! thread, of a named group of threads and of the whole process, so the router's own work per
//! request can be told from the load's and the devnet's.
//!
//! Linux only; elsewhere nothing is pinned and the CPU times are unavailable (`None`), and the
//! bench says so.

use std::time::Duration;

/// The cores the calling thread may run on, in order (empty where unknown).
pub fn allowed_cores() -> Vec<usize> {
    imp::allowed_cores()
}

/// Lets the calling thread, and every thread it starts from now on, run on `cores` only.
pub fn pin_thread(cores: &[usize]) -> std::io::Result<()> {
    imp::pin_thread(cores)
}

/// The CPU time the calling thread has used.
pub fn thread_cpu() -> Option<Duration> {
    imp::thread_cpu()
}

/// The CPU time the whole process has used (every thread, living or ended).
pub fn process_cpu() -> Option<Duration> {
    imp::process_cpu()
}

/// The CPU time used by this process's living threads whose name starts with one of
/// `prefixes` (Linux truncates thread names to 15 bytes), and how many threads that is.
pub fn threads_cpu(prefixes: &[&str]) -> Option<(Duration, usize)> {
    imp::threads_cpu(prefixes)
}

/// Cores as a command line takes them: `0,1`.
pub fn format_cores(cores: &[usize]) -> String {
    cores
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(target_os = "linux")]
mod imp {
    use std::time::Duration;

    pub(super) fn allowed_cores() -> Vec<usize> {
        // SAFETY: a zeroed cpu_set_t is a valid empty set; the kernel writes at most its size.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        let size = std::mem::size_of::<libc::cpu_set_t>();
        // SAFETY: `set` is a valid, writable cpu_set_t of `size` bytes.
        if unsafe { libc::sched_getaffinity(0, size, &mut set) } != 0 {
            return Vec::new();
        }
        (0..libc::CPU_SETSIZE as usize)
            // SAFETY: `core` is below CPU_SETSIZE, the set's capacity.
            .filter(|&core| unsafe { libc::CPU_ISSET(core, &set) })
            .collect()
    }

    pub(super) fn pin_thread(cores: &[usize]) -> std::io::Result<()> {
        // SAFETY: as above.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        for &core in cores {
            if core >= libc::CPU_SETSIZE as usize {
                return Err(std::io::Error::other(format!("no core {core}")));
            }
            // SAFETY: `core` is below CPU_SETSIZE.
            unsafe { libc::CPU_SET(core, &mut set) };
        }
        let size = std::mem::size_of::<libc::cpu_set_t>();
        // SAFETY: `set` is a valid cpu_set_t; pid 0 is the calling thread.
        if unsafe { libc::sched_setaffinity(0, size, &set) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }

    fn clock(id: libc::clockid_t) -> Option<Duration> {
        let mut t = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `t` is a valid timespec to write to.
        if unsafe { libc::clock_gettime(id, &mut t) } != 0 {
            return None;
        }
        Some(Duration::new(
            u64::try_from(t.tv_sec).ok()?,
            u32::try_from(t.tv_nsec).ok()?,
        ))
    }

    pub(super) fn thread_cpu() -> Option<Duration> {
        clock(libc::CLOCK_THREAD_CPUTIME_ID)
    }

    pub(super) fn process_cpu() -> Option<Duration> {
        clock(libc::CLOCK_PROCESS_CPUTIME_ID)
    }

    pub(super) fn threads_cpu(prefixes: &[&str]) -> Option<(Duration, usize)> {
        let mut total = Duration::ZERO;
        let mut threads = 0;
        for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
            let path = task.path();
            let Ok(name) = std::fs::read_to_string(path.join("comm")) else {
                continue; // ended since the listing
            };
            if !prefixes.iter().any(|p| name.trim_end().starts_with(p)) {
                continue;
            }
            // schedstat's first field: nanoseconds on a CPU (stat's ticks are 10 ms coarse).
            let Ok(stat) = std::fs::read_to_string(path.join("schedstat")) else {
                continue;
            };
            let ns: u64 = stat.split_whitespace().next()?.parse().ok()?;
            total += Duration::from_nanos(ns);
            threads += 1;
        }
        Some((total, threads))
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use std::time::Duration;

    pub(super) fn allowed_cores() -> Vec<usize> {
        Vec::new()
    }

    pub(super) fn pin_thread(_: &[usize]) -> std::io::Result<()> {
        Err(std::io::Error::other("pinning to cores is Linux only"))
    }

    pub(super) fn thread_cpu() -> Option<Duration> {
        None
    }

    pub(super) fn process_cpu() -> Option<Duration> {
        None
    }

    pub(super) fn threads_cpu(_: &[&str]) -> Option<(Duration, usize)> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn a_thread_pinned_to_one_core_runs_there_and_its_cpu_time_is_counted() {
        let cores = allowed_cores();
        assert!(!cores.is_empty());
        let core = *cores.last().unwrap();
        std::thread::Builder::new()
            .name("pin-probe-xyz".into())
            .spawn(move || {
                pin_thread(&[core]).unwrap();
                assert_eq!(allowed_cores(), vec![core]);
                let start = thread_cpu().unwrap();
                let mut x = 0u64;
                while thread_cpu().unwrap() - start < Duration::from_millis(20) {
                    x = std::hint::black_box(x.wrapping_add(1));
                }
                let (mine, threads) = threads_cpu(&["pin-probe-xyz"]).unwrap();
                assert_eq!(threads, 1);
                assert!(mine >= Duration::from_millis(20), "{mine:?}");
                assert!(process_cpu().unwrap() >= mine);
            })
            .unwrap()
            .join()
            .unwrap();
    }
}
