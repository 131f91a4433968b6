import Testing

@testable import ChatServerCore

@Suite("Server: configuration")
struct ServerConfigurationTests {
    @Test("the defaults are valid; the timeout defaults to 3 × the interval")
    func defaults() throws {
        let configuration = ServerConfiguration()
        try configuration.validate()
        #expect(configuration.effectiveAliveTimeout == .seconds(15))
    }

    @Test("bad values are refused with the option's name")
    func invalid() {
        var configuration = ServerConfiguration()
        configuration.port = 70_000
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration = ServerConfiguration()
        configuration.aliveTimeout = .seconds(5)
        #expect(throws: ConfigurationError.invalid("--alive-timeout must be larger than --alive-interval")) {
            try configuration.validate()
        }
        configuration = ServerConfiguration()
        configuration.maxClients = 0
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration.maxClients = ServerConfiguration.maxClientsLimit
        #expect(throws: Never.self) { try configuration.validate() }
        configuration.maxClients = ServerConfiguration.maxClientsLimit + 1
        #expect(throws: ConfigurationError.invalid("--max-clients must be 1...1000000")) {
            try configuration.validate()
        }
        configuration = ServerConfiguration()
        configuration.threads = ServerConfiguration.threadsLimit + 1
        #expect(throws: ConfigurationError.invalid("--threads must be 1...1024")) {
            try configuration.validate()
        }
        configuration.threads = 0
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
    }
}
