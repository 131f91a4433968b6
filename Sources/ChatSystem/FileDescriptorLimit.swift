#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's limit on open files and its descriptor table: a server of many clients, or a
/// load tool playing many clients, needs one descriptor each.
public enum FileDescriptorLimit {
    /// Raises the soft limit to the hard limit; returns the limit now in force (`nil` if unknown).
    public static func raiseToHardLimit() -> Int? {
        Self.raise(toAtLeast: .max)?.limit
    }

    /// Raises the soft limit to `needed` if it is lower, as far as the hard limit allows (never
    /// lowers it); returns the limit now in force and the hard limit (`nil` if unknown).
    public static func raise(toAtLeast needed: Int) -> (limit: Int, hard: Int)? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        let wanted = rlim_t(clamping: max(0, needed))
        if limit.rlim_cur < wanted {
            var raised = limit
            raised.rlim_cur = min(wanted, limit.rlim_max)
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        func count(_ value: rlim_t) -> Int { value == rlim_t.max ? Int.max : Int(clamping: value) }
        return (count(limit.rlim_cur), count(limit.rlim_max))
    }

    /// Descriptors a process needs besides its clients (listener, event loops, logs).
    public static let reserve = 64

    /// Grows the process's descriptor table now so that it holds `count` descriptors (capped
    /// at the soft limit); returns whether it did.
    ///
    /// The kernel grows the table by doubling as descriptors are taken, and in a
    /// multi-threaded process each growth waits for an RCU grace period inside `accept`
    /// (`expand_files` → `synchronize_rcu`, seen with `perf`), the accepting event loop blocked
    /// meanwhile. A fresh server took 93–160 ms to log in a join storm of 2,000 clients, one
    /// that had already held 2,000 took 59–97 ms, and a fresh one with its table grown at start
    /// 59–91 ms (docs/PERFORMANCE.md). Taking a descriptor at `count - 1` and closing it grows
    /// the table once, ahead of time; a table never shrinks. The cost is kernel memory of some
    /// 8 bytes per slot, nothing in the process's own memory.
    @discardableResult
    public static func reserveTable(for count: Int) -> Bool {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return false }
        let ceiling = limit.rlim_cur == rlim_t.max ? Int(Int32.max) : Int(clamping: limit.rlim_cur)
        let highest = min(count, ceiling) - 1
        guard highest > 2 else { return false }
        let source = open("/dev/null", O_RDONLY | O_CLOEXEC)
        guard source >= 0 else { return false }
        defer { close(source) }
        // F_DUPFD takes the lowest free descriptor at or above `highest`: never one in use.
        let probe = fcntl(source, F_DUPFD_CLOEXEC, Int32(clamping: highest))
        guard probe >= 0 else { return false }
        close(probe)
        return true
    }
}
