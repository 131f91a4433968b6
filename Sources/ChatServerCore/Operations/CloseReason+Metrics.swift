extension CloseReason {
    /// The `reason` label of `chat255_connects_refused_total` when this reason refused a
    /// connection before it came online; `nil` for every other close.
    var refusalLabel: String? {
        switch self {
        case .refused(.nameTaken): "name_taken"
        case .refused(.full): "server_full"
        case .refused(.reservedName), .refused(.badName): "bad_name"
        case .refused(.authenticationFailed): "auth_failed"
        case .refused(.tooManyFailedLogins): "throttled"
        case .refused(.notYourCertificate), .refused(.certificateRequired): "certificate"
        case .refused(.unavailable(let text)):
            text == CloseReason.clusterUnavailableText ? "cluster_unavailable" : "unavailable"
        case .turnedAway(.tooManyFromAddress), .turnedAway(.tooManyNewFromAddress): "address_limit"
        case .turnedAway(.tooManyWaiting): "waiting_limit"
        case .quit, .malformed, .badConnect, .badMessage, .retired, .slowConsumer, .shutdown, .noConnect,
            .clusterUnavailable,
            .closedByPeer, .failed:
            nil
        }
    }

    /// Whether this close counts as a protocol error (`chat255_protocol_errors_total`): bytes
    /// that broke a frame rule, or a first frame that was not an acceptable `Connect`.
    var isProtocolError: Bool {
        switch self {
        case .malformed, .badConnect, .badMessage: true
        default: false
        }
    }
}
