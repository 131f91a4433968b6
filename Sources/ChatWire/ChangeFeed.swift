/// The client's side of change events (docs/PROTOCOL.md, "Change events"), as a plain value:
/// whether it asked for them, the whole list it holds and its version, and the parts of an
/// `Online` list or a `Changed` set being gathered. Changes that do not follow the version held
/// (a gap, a repeat, parts out of order) are not guessed at: the client asks for the whole list
/// again (`List`) and ignores changes until it arrives.
public struct ChangeFeed: Sendable {
    /// Where change events stand.
    public enum Stage: Equatable, Sendable {
        /// Not asked for: the server sends full lists.
        case off
        /// `List changes` sent; no answer yet (a server that does not know it answers `Error`,
        /// or nothing, and full lists keep coming).
        case requested
        /// Receiving changes; the list held is at `version`.
        case active(version: UInt64)
        /// A change did not follow: the whole list was asked for again; changes wait for it.
        case resyncing
    }

    /// What a frame of change events means.
    public enum Outcome: Equatable, Sendable {
        /// A part taken; nothing complete yet.
        case pending
        /// The whole list arrived (an `Online` list): everyone online.
        case list([ChatName])
        /// A complete set of changes was applied: who joined, who left (empty unless
        /// `keepsNames`), how many are online.
        case changed(joined: [ChatName], left: [ChatName], online: Int)
        /// The changes do not follow the version held (why): ask for the whole list (`List`).
        case askFullList(String)
        /// Ignored: changes while not receiving them, or while waiting for the whole list.
        case ignored
    }

    /// Where change events stand.
    public private(set) var stage = Stage.off
    /// The list held, once an `Online` list arrived (kept only when `keepsNames`).
    public private(set) var names: Set<ChatName> = []
    /// How many are online, by the list held.
    public private(set) var count = 0
    /// Whether the names are kept (and each change checked against them), or only counted: a
    /// load tool playing thousands of clients needs the count alone.
    public let keepsNames: Bool
    private var online = ListReassembler()
    private var onlineVersion: UInt64?
    /// The `Changed` set being gathered: its versions, parts, next part, and what it holds so far.
    private var gathering: (from: UInt64, to: UInt64, count: Int, next: Int, joined: [ChatName], left: [ChatName])?

    /// Change events not asked for; `keepsNames` as above.
    public init(keepsNames: Bool = true) {
        self.keepsNames = keepsNames
    }

    /// `List changes` was sent.
    public mutating func requested() {
        if self.stage == .off { self.stage = .requested }
    }

    /// An `Error` arrived: `true` if it is the answer to `List changes` from a server that does
    /// not know it (it came while the request waited for its answer), which turns them off.
    public mutating func errorAnswersRequest() -> Bool {
        guard self.stage == .requested else { return false }
        self.stage = .off
        return true
    }

    /// `List changes` was not answered: no `Online` list within `ClientProtocol.changesAnswerTime`,
    /// or the server said something else in the meantime (not a `List`: the push that holds a
    /// newcomer may come first). They are off, and a later `Error` is the server's own.
    public mutating func requestIgnored() {
        if self.stage == .requested { self.stage = .off }
    }

    /// The whole list was asked for again (`List`), after `askFullList`.
    public mutating func askedForFullList() {
        self.stage = .resyncing
        self.gathering = nil
    }

    /// A part of an `Online` list.
    public mutating func received(_ part: VersionedListPart) -> Outcome {
        if part.part.index == 1 { self.onlineVersion = part.version }
        guard self.onlineVersion == part.version else {
            self.online = ListReassembler()
            self.onlineVersion = nil
            return self.resync("an 'Online' list changed versions halfway")
        }
        do {
            guard let names = try self.online.add(part.part) else { return .pending }
            if self.keepsNames { self.names = Set(names) }
            self.count = names.count
            self.stage = .active(version: part.version)
            self.gathering = nil
            return .list(names)
        } catch {
            return self.resync("\(error)")
        }
    }

    /// A part of a `Changed` set.
    public mutating func received(_ part: ChangesPart) -> Outcome {
        guard case .active(let version) = self.stage else { return .ignored }
        if part.index == 1 {
            guard part.from == version else {
                return self.resync("changes from version \(part.from), but the list held is version \(version)")
            }
            self.gathering = (part.from, part.to, part.count, 1, [], [])
        }
        guard var gathering = self.gathering, gathering.from == part.from, gathering.to == part.to,
            gathering.count == part.count, gathering.next == part.index
        else {
            return self.resync("changes part \(part.index)/\(part.count) out of order")
        }
        for change in part.changes {
            switch change {
            case .joined(let name):
                if self.keepsNames {
                    guard self.names.insert(name).inserted else { return self.resync("'\(name)' joined twice") }
                    gathering.joined.append(name)
                }
                self.count += 1
            case .left(let name):
                if self.keepsNames {
                    guard self.names.remove(name) != nil else {
                        return self.resync("'\(name)' left, but was not online")
                    }
                    gathering.left.append(name)
                }
                self.count -= 1
            }
        }
        gathering.next += 1
        guard gathering.next > gathering.count else {
            self.gathering = gathering
            return .pending
        }
        self.gathering = nil
        self.stage = .active(version: gathering.to)
        return .changed(joined: gathering.joined, left: gathering.left, online: self.count)
    }

    private mutating func resync(_ why: String) -> Outcome {
        self.gathering = nil
        return .askFullList(why)
    }
}
