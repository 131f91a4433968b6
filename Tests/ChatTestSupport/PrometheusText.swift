import ChatWireTestSupport
import Foundation

/// Metrics in Prometheus' text format, read by the format's reference parser (the
/// `prometheus_client` Python package: `.ci/run` installs it; a machine without it fails the
/// test with a clear message). Samples are keyed `name{label="value",...}`, labels sorted.
public struct PrometheusText: Sendable {
    /// Every sample.
    public let samples: [String: Double]
    /// The type of each metric family, by its name as the parser gives it (`chat255_connects`
    /// for the counter `chat255_connects_total`).
    public let types: [String: String]

    private static let script = """
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        for family in text_string_to_metric_families(sys.stdin.read()):
            print(json.dumps({"family": family.name, "type": family.type}))
            for sample in family.samples:
                print(json.dumps({"name": sample.name, "labels": sample.labels, "value": sample.value}))
        """

    /// Parses `text`; throws what the parser says of a text it refuses.
    public init(parsing text: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.script]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        try input.fileHandleForWriting.write(contentsOf: Data(text.utf8))
        try input.fileHandleForWriting.close()
        let data = DescriptorReader.readToEnd(output.fileHandleForReading.fileDescriptor)
        let problem = String(
            decoding: DescriptorReader.readToEnd(errors.fileHandleForReading.fileDescriptor), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            if problem.contains("No module named 'prometheus_client'") {
                throw TestFailure("prometheus_client is not installed: pip install prometheus_client (.ci/run does)")
            }
            throw TestFailure("the Prometheus text does not parse: \(problem)\n\(text)")
        }
        var samples: [String: Double] = [:]
        var types: [String: String] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                continue
            }
            if let family = object["family"] as? String, let type = object["type"] as? String {
                types[family] = type
            } else if let name = object["name"] as? String, let value = object["value"] as? Double {
                let labels = (object["labels"] as? [String: String] ?? [:]).sorted { $0.key < $1.key }
                let key =
                    labels.isEmpty
                    ? name : "\(name){" + labels.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ",") + "}"
                samples[key] = value
            }
        }
        self.samples = samples
        self.types = types
    }

    /// The sample `key`, or 0 when it is absent.
    public subscript(_ key: String) -> Double { self.samples[key] ?? 0 }
}

extension PrometheusText {
    /// `GET /metrics` from the operations endpoint on `port`, read by the reference parser.
    public static func scrape(port: Int) async throws -> PrometheusText {
        let response = try await HTTPClient.request("/metrics", port: port)
        guard response.status == 200 else { throw TestFailure("GET /metrics answered \(response.status)") }
        return try PrometheusText(parsing: response.body)
    }
}
