#if canImport(Glibc)
    import Glibc

    /// POSIX `read`, by one name on every platform (the module's files read descriptors with it).
    let systemRead = Glibc.read
#elseif canImport(Darwin)
    import Darwin

    /// POSIX `read`, by one name on every platform (the module's files read descriptors with it).
    let systemRead = Darwin.read
#endif
