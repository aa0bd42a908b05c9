/// A meter event's payload: string keys to string values, as Stripe takes it.
///
/// Up to three entries live inline (the customer key, the value key and one dimension in a typical
/// event), so replaying millions of generated events allocates nothing per payload; more spill into
/// an array. Iteration follows insertion order; built from a dictionary, entries are sorted by key so
/// that the order never depends on hashing.
public struct MeterEventPayload: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    public typealias Element = (key: String, value: String)

    @usableFromInline var key0 = "", value0 = "", key1 = "", value1 = "", key2 = "", value2 = ""
    @usableFromInline var inlineCount: UInt8 = 0
    /// Entries past the third, as key, value, key, value…; `nil` (no array at all) in the usual case.
    @usableFromInline var spill: [String]?
    /// Each spilled key's position in `spill`, once more than ``indexedSpill`` entries spilled: a payload
    /// of thousands of keys (a CSV of 20,000 columns) is built and read in linear time, not quadratic.
    @usableFromInline var spillIndex: [String: Int]?
    /// How many spilled entries are searched linearly before ``spillIndex`` is built.
    @usableFromInline static let indexedSpill = 8

    public init() {}

    public init(dictionaryLiteral elements: (String, String)...) {
        for (key, value) in elements { self[key] = value }
    }

    /// The entries of a dictionary, sorted by key.
    public init(_ dictionary: [String: String]) {
        for key in dictionary.keys.sorted() { self[key] = dictionary[key] }
    }

    public var count: Int { Int(inlineCount) + (spill?.count ?? 0) / 2 }

    /// The value for `key`, or `nil`; setting `nil` removes the entry.
    @inlinable public subscript(key: String) -> String? {
        get {
            if inlineCount > 0, key0 == key { return value0 }
            if inlineCount > 1, key1 == key { return value1 }
            if inlineCount > 2, key2 == key { return value2 }
            guard let spill else { return nil }
            if let spillIndex { return spillIndex[key].map { spill[$0 + 1] } }
            var index = 0
            while index < spill.count {
                if spill[index] == key { return spill[index + 1] }
                index += 2
            }
            return nil
        }
        set {
            guard let newValue else {
                var entries = Array(self)
                entries.removeAll { $0.key == key }
                self = MeterEventPayload(entries: entries)
                return
            }
            if inlineCount > 0, key0 == key {
                value0 = newValue
                return
            }
            if inlineCount > 1, key1 == key {
                value1 = newValue
                return
            }
            if inlineCount > 2, key2 == key {
                value2 = newValue
                return
            }
            if let spillIndex {
                if let index = spillIndex[key] {
                    spill?[index + 1] = newValue
                    return
                }
            } else {
                var index = 0
                while index < spill?.count ?? 0 {
                    if spill?[index] == key {
                        spill?[index + 1] = newValue
                        return
                    }
                    index += 2
                }
            }
            switch inlineCount {
            case 0: (key0, value0) = (key, newValue)
            case 1: (key1, value1) = (key, newValue)
            case 2: (key2, value2) = (key, newValue)
            default:
                appendSpilled(key, newValue)
                return
            }
            inlineCount += 1
        }
    }

    /// Appends a key not in the payload past the inline entries, in place (no copy of the spill).
    @usableFromInline mutating func appendSpilled(_ key: String, _ value: String) {
        if spill == nil { spill = [] }
        let position = spill!.count
        spill!.append(key)
        spill!.append(value)
        if spillIndex != nil {
            spillIndex![key] = position
        } else if position / 2 >= Self.indexedSpill {
            var index: [String: Int] = [:]
            for offset in stride(from: 0, to: spill!.count, by: 2) { index[spill![offset]] = offset }
            spillIndex = index
        }
    }

    @usableFromInline init(entries: [Element]) {
        for entry in entries { self[entry.key] = entry.value }
    }

    public func makeIterator() -> IndexingIterator<[Element]> {
        var entries: [Element] = []
        if inlineCount > 0 { entries.append((key0, value0)) }
        if inlineCount > 1 { entries.append((key1, value1)) }
        if inlineCount > 2 { entries.append((key2, value2)) }
        var index = 0
        while let spill, index < spill.count {
            entries.append((spill[index], spill[index + 1]))
            index += 2
        }
        return entries.makeIterator()
    }

    /// The entries as a dictionary.
    public var dictionary: [String: String] { Dictionary(map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last }) }

    /// Equal when they hold the same entries, in any order.
    public static func == (lhs: MeterEventPayload, rhs: MeterEventPayload) -> Bool { lhs.dictionary == rhs.dictionary }
    public func hash(into hasher: inout Hasher) { hasher.combine(dictionary) }

    public var description: String { "[" + map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "]" }
}
