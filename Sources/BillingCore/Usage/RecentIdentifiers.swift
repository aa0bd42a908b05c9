/// The meter event identifiers received in the last 24 hours, for `duplicate_meter_event`.
///
/// Identifiers queue in receipt order (receipt times never decrease) and sit in an open-addressing
/// table of (hash bits, queue position) with linear probing. Forgetting is lazy: an identifier ages out
/// by moving the queue's start past it, and a slot pointing before the start counts as free; and
/// ``receive(_:hash:at:forgetting:)`` moves the start only every ``forgetEvery`` identifiers, an
/// identifier found but received at or before the cutoff counting as not there. (Moving it on every
/// event read the queue's oldest entry, a day of identifiers back, a cache miss each time: 8% of the
/// engine thread's samples in a 5M-row CSV run.) The
/// table is rebuilt from the queue (a sequential pass) when live and dead slots fill half of it, into
/// a table at most a quarter full. (At three quarters full, linear probing's runs made the probe loop
/// half of this type's samples: an identifier not seen before walks ~8 slots on average, ~2.5 at half.)
/// Each event costs one hash and one probe sequence, and
/// memory follows the window, not the run.
/// (Swift's `Dictionary` with eager removal costs about twice as much per event here.)
///
/// Identifiers are compared byte for byte (their UTF-8), and kept as bytes in one array beside the queue:
/// no `String` is made for a usage file's row. (As `String`s, canonically equivalent identifiers such as
/// "\u{212A}" and "K" would be equal, yet their hashes differ: bytes make the answer one rule.)
struct RecentIdentifiers: Sendable {
    struct Entry {
        var at: Instant
        var hash: UInt64
        /// Where the identifier's bytes start, as an absolute offset (see `bytesBase`), and how many there are.
        var start: Int
        var count: Int
    }

    /// 8 bytes, so more of the table stays in cache: the queue position in the low 40 bits (a run of
    /// up to a trillion events), the top 24 bits of the hash above it. All ones is a never-used slot.
    struct Slot {
        var bits: UInt64
        static let empty = Slot(bits: .max)
        static let positionMask: UInt64 = (1 << 40) - 1

        init(bits: UInt64) { self.bits = bits }
        init(hash: UInt64, position: Int) { bits = (hash & ~Self.positionMask) | UInt64(position) }

        var isEmpty: Bool { bits == .max }
        var position: Int { Int(bits & Self.positionMask) }
        func matches(_ hash: UInt64) -> Bool { (bits ^ hash) & ~Self.positionMask == 0 }
    }

    private var slots = [Slot](repeating: .empty, count: 1024)
    /// Slots holding a position, live or aged out.
    private var used = 0
    private var queue: [Entry] = []
    /// The queued identifiers' bytes, one after the other; `bytes[0]` is at absolute offset `bytesBase`.
    private var bytes: [UInt8] = []
    private var bytesBase = 0
    /// Absolute position of `queue[0]`.
    private var base = 0
    /// Absolute position of the oldest identifier still remembered.
    private var oldest = 0
    /// Identifiers received since the queue's start last moved.
    private var sinceForget = 0
    static let forgetEvery = 1024

    /// How many identifiers are remembered.
    var count: Int { base + queue.count - oldest }

    /// Where a lookup of `identifier` starts, and that slot's content (see ``MeterEventValidator/touch(_:)``).
    func slot(of identifier: String) -> Int { slot(hash: ByteHash.hash(identifier)) }
    func slot(hash: UInt64) -> Int { Int(truncatingIfNeeded: hash) & (slots.count - 1) }
    func bits(at slot: Int) -> UInt64 { slots[slot].bits }

    /// When `identifier` was received, if it is remembered and was received after `cutoff`; otherwise
    /// remembers it as received `at`. Identifiers received at or before `cutoff` are forgotten.
    mutating func receive(_ identifier: String, at: Instant, forgetting cutoff: Instant = Instant(seconds: .min)) -> Instant? {
        var identifier = identifier
        return identifier.withUTF8 { receive($0, hash: ByteHash.hash($0), at: at, forgetting: cutoff) }
    }

    /// ``receive(_:at:forgetting:)`` for an identifier's UTF-8 bytes, whose ``ByteHash`` is `hash`.
    mutating func receive(_ identifier: UnsafeBufferPointer<UInt8>, hash: UInt64, at: Instant, forgetting cutoff: Instant) -> Instant? {
        sinceForget += 1
        if sinceForget >= Self.forgetEvery { forget(receivedAtOrBefore: cutoff) }
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: hash) & mask
        var free: Int?
        while !slots[index].isEmpty {
            let slot = slots[index]
            if slot.position < oldest {
                if free == nil { free = index }
            } else if slot.matches(hash), holds(queue[slot.position - base], identifier), queue[slot.position - base].at > cutoff {
                return queue[slot.position - base].at
            }
            index = (index + 1) & mask
        }
        if free == nil { used += 1 }
        slots[free ?? index] = Slot(hash: hash, position: base + queue.count)
        queue.append(Entry(at: at, hash: hash, start: bytesBase + bytes.count, count: identifier.count))
        bytes.append(contentsOf: identifier)
        if used * 2 > slots.count {
            forget(receivedAtOrBefore: cutoff)
            rebuild()
        }
        return nil
    }

    /// Whether `entry`'s identifier is `identifier`, byte for byte.
    private func holds(_ entry: Entry, _ identifier: UnsafeBufferPointer<UInt8>) -> Bool {
        guard entry.count == identifier.count else { return false }
        let start = entry.start - bytesBase
        return bytes.withUnsafeBufferPointer { UnsafeBufferPointer(rebasing: $0[start..<(start + entry.count)]).elementsEqual(identifier) }
    }

    /// Forgets every identifier received at or before `cutoff`.
    mutating func forget(receivedAtOrBefore cutoff: Instant) {
        sinceForget = 0
        while oldest < base + queue.count, queue[oldest - base].at <= cutoff { oldest += 1 }
        if oldest - base >= 65_536, (oldest - base) * 2 >= queue.count {
            let kept = oldest < base + queue.count ? queue[oldest - base].start : bytesBase + bytes.count
            bytes.removeFirst(kept - bytesBase)
            bytesBase = kept
            queue.removeFirst(oldest - base)
            base = oldest
        }
    }

    /// Re-inserts the remembered identifiers only, into a table at most a quarter full.
    private mutating func rebuild() {
        var capacity = slots.count
        while count * 4 > capacity { capacity *= 2 }
        // The same size is cleared where it is: a new table each time (megabytes, every ~160,000 events of a
        // 5M-row CSV run) was zeroed page by page by the kernel, then unmapped.
        if capacity == slots.count {
            slots.withUnsafeMutableBufferPointer { $0.update(repeating: .empty) }
        } else {
            slots = [Slot](repeating: .empty, count: capacity)
        }
        used = count
        let mask = capacity - 1
        for position in oldest..<(base + queue.count) {
            let hash = queue[position - base].hash
            var index = Int(truncatingIfNeeded: hash) & mask
            while !slots[index].isEmpty { index = (index + 1) & mask }
            slots[index] = Slot(hash: hash, position: position)
        }
    }
}
