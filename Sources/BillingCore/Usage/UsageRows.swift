/// A batch of a usage file's rows in compact form: what the file's reader fills on its own thread and the
/// engine validates in place (``MeterEventValidator/check(row:of:strings:receivedAt:sequence:)``), so that
/// no `String` is made, retained or released per row on either thread and nothing is allocated per row.
///
/// Per row: the timestamp and arrival as seconds, the event name and each payload cell as a number into
/// the file's table of distinct values (which the reader builds as it goes; each batch carries the
/// entries added since the one before, as bytes), and the identifier's bytes with their hash. A row the
/// fast path cannot accept (unknown meter, customer or value, a duplicate…) is made into its
/// ``MeterEvent`` (``event(_:strings:)``) and validated as any event is, so verdicts and messages are the
/// same whichever way an event comes.
public struct UsageRows: Sendable {
    /// The payload keys of the file's payload columns, in column order.
    public let payloadKeys: [String]
    /// The table's entries added since the previous batch: UTF-8 bytes, each ending at its `newEnds`.
    var newBytes: [UInt8] = []
    var newEnds: [Int] = []
    /// The table was emptied before this batch's entries (it is kept to a bounded size).
    public private(set) var restartsTable = false
    /// Per row, one element: appending one struct rather than to six arrays halved the reader's cost of
    /// a row in this batch (each append checks its array's uniqueness and capacity).
    @usableFromInline var rows: [Row] = []
    /// `payloadKeys.count` per row: each cell's entry in the table, or -1 for an empty cell (absent).
    var cells: [Int32] = []
    /// The identifiers' bytes, row after row (row `i`'s end at `rows[i].identifierEnd`).
    var identifierBytes: [UInt8] = []

    @usableFromInline struct Row: Sendable {
        var timestamp: Int64
        /// `received_at`, else the timestamp.
        var arrival: Int64
        /// The identifier's ``ByteHash`` (0 without one), worked out by the engine (``hashIdentifiers()``).
        var identifierHash: UInt64
        var identifierEnd: Int
        var name: Int32
        /// ``receivedAtGiven`` and ``identifierGiven`` bits.
        var flags: UInt8
    }

    static let receivedAtGiven: UInt8 = 1
    static let identifierGiven: UInt8 = 2

    public init(payloadKeys: [String]) { self.payloadKeys = payloadKeys }

    /// Inlinable: the reader asks once per row.
    @inlinable public var count: Int { rows.count }
    @inlinable public var isEmpty: Bool { rows.isEmpty }

    /// Empties the batch, keeping its storage, for the next rows.
    public mutating func removeAll() {
        newBytes.removeAll(keepingCapacity: true)
        newEnds.removeAll(keepingCapacity: true)
        restartsTable = false
        rows.removeAll(keepingCapacity: true)
        cells.removeAll(keepingCapacity: true)
        identifierBytes.removeAll(keepingCapacity: true)
    }

    /// Makes room for `rows` rows (identifiers of up to 16 bytes).
    public mutating func reserveCapacity(_ rows: Int) {
        self.rows.reserveCapacity(rows)
        cells.reserveCapacity(rows * payloadKeys.count)
        identifierBytes.reserveCapacity(rows * 16)
    }

    /// The arrival of row `row`.
    func arrival(_ row: Int) -> Instant { Instant(seconds: rows[row].arrival) }

    /// Adds a distinct value to the file's table (its number is the count of values added before it,
    /// since the table last restarted).
    public mutating func addValue(_ bytes: UnsafeBufferPointer<UInt8>) {
        newBytes.append(contentsOf: bytes)
        newEnds.append(newBytes.count)
    }

    /// Marks this batch as starting the file's table afresh (before any ``addValue(_:)``).
    public mutating func restartTable() { restartsTable = true }

    /// Appends a row; `cells` holds one table number (or -1) per payload key.
    public mutating func append(
        name: Int32, timestamp: Instant, receivedAt: Instant?, identifier: UnsafeBufferPointer<UInt8>?, cells rowCells: UnsafeBufferPointer<Int32>
    ) {
        var flags: UInt8 = receivedAt == nil ? 0 : Self.receivedAtGiven
        if let identifier {
            flags |= Self.identifierGiven
            identifierBytes.append(contentsOf: identifier)
        }
        rows.append(
            Row(
                timestamp: timestamp.seconds, arrival: (receivedAt ?? timestamp).seconds, identifierHash: 0,
                identifierEnd: identifierBytes.count, name: name, flags: flags))
        cells.append(contentsOf: rowCells)
    }

    /// Works out each row's ``Row/identifierHash``: on the engine's thread, when a batch comes in. The reading
    /// thread is the one the engine waits for in the middle of a 5M-row CSV run, and hashing was 4% of its work
    /// (README, "Fifth pass").
    mutating func hashIdentifiers() {
        identifierBytes.withUnsafeBufferPointer { bytes in
            for row in rows.indices where rows[row].flags & Self.identifierGiven != 0 {
                rows[row].identifierHash = ByteHash.hash(UnsafeBufferPointer(rebasing: bytes[identifierRange(row)]))
            }
        }
    }

    /// Row `row`'s identifier bytes (empty when it has none) within `identifierBytes`.
    func identifierRange(_ row: Int) -> Range<Int> { (row == 0 ? 0 : rows[row - 1].identifierEnd)..<rows[row].identifierEnd }

    /// Row `row` as the event it stands for, its values taken from `strings` (the file's table).
    public func event(_ row: Int, strings: [String]) -> MeterEvent {
        var payload = MeterEventPayload()
        let first = row * payloadKeys.count
        for slot in payloadKeys.indices where cells[first + slot] >= 0 { payload[payloadKeys[slot]] = strings[Int(cells[first + slot])] }
        let fields = rows[row]
        let identifier =
            fields.flags & Self.identifierGiven == 0 ? nil : String(decoding: identifierBytes[identifierRange(row)], as: UTF8.self)
        let receivedAt = fields.flags & Self.receivedAtGiven == 0 ? nil : Instant(seconds: fields.arrival)
        return MeterEvent(
            eventName: strings[Int(fields.name)], timestamp: Instant(seconds: fields.timestamp), identifier: identifier, payload: payload,
            receivedAt: receivedAt)
    }
}

/// The reading side's view of a file's table of values as ``UsageRows`` batches carry it: the strings,
/// made once per distinct value, on the thread that reads the batches.
public struct UsageRowStrings: Sendable {
    public private(set) var strings: [String] = []
    /// Counts the table's restarts, so that what was looked up per entry is dropped with it.
    private(set) var generation = 0

    public init() {}

    /// Adds the batch's new entries (after emptying the table if the batch restarts it).
    public mutating func take(_ rows: UsageRows) {
        if rows.restartsTable {
            strings.removeAll()
            generation += 1
        }
        rows.newBytes.withUnsafeBufferPointer { bytes in
            var start = 0
            for end in rows.newEnds {
                strings.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))
                start = end
            }
        }
    }
}
