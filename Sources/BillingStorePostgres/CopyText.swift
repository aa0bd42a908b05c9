#if PostgreSQL
    import BillingCore
    import BillingStoreRows
    import PostgresNIO

    /// Rows in PostgreSQL's COPY text format: tab-separated columns, one row a line, `\` escapes.
    extension ByteBuffer {
        /// Appends one `meter_events` row: key, ts, seq, value, identifier.
        ///
        /// The row is written through one raw pointer (a ByteBuffer write per byte costs an exclusivity
        /// check each, which was a third of the ingest time).
        mutating func writeCopyRow(_ event: RecordedMeterEvent) {
            var identifier = event.identifier
            // Escaping at most doubles a text; the four numbers and five separators take under 128 bytes.
            let bound = 2 * identifier.utf8.count + 128
            writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { raw in
                var row = CopyRowWriter(start: raw.baseAddress!.assumingMemoryBound(to: UInt8.self))
                row.integer(Int64(event.key))
                row.byte(UInt8(ascii: "\t"))
                row.integer(event.timestamp.seconds)
                row.byte(UInt8(ascii: "\t"))
                row.integer(event.sequence)
                row.byte(UInt8(ascii: "\t"))
                row.decimal(event.value)
                row.byte(UInt8(ascii: "\t"))
                identifier.withUTF8 { row.text($0) }
                row.byte(UInt8(ascii: "\n"))
                return row.count
            }
        }

        /// Appends one row of the invoice codec's column values: NULL is `\N`, booleans `t`/`f`, decimals
        /// their text (the server converts each text to its column's type).
        mutating func writeCopyRow(_ values: [ColumnValue]) {
            var bound = 1
            for value in values {
                // A separator, and at most 20 characters for an integer, or twice a text's bytes once escaped.
                if case .text(let text) = value { bound += 2 * text.utf8.count + 1 } else { bound += 21 }
            }
            writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { raw in
                var row = CopyRowWriter(start: raw.baseAddress!.assumingMemoryBound(to: UInt8.self))
                for (index, value) in values.enumerated() {
                    if index > 0 { row.byte(UInt8(ascii: "\t")) }
                    switch value {
                    case .null:
                        row.byte(UInt8(ascii: "\\"))
                        row.byte(UInt8(ascii: "N"))
                    case .integer(let integer): row.integer(integer)
                    case .boolean(let boolean): row.byte(UInt8(ascii: boolean ? "t" : "f"))
                    case .text(var text): text.withUTF8 { row.text($0) }
                    }
                }
                row.byte(UInt8(ascii: "\n"))
                return row.count
            }
        }
    }

    /// Writes COPY text columns into memory the caller has made large enough.
    struct CopyRowWriter {
        let start: UnsafeMutablePointer<UInt8>
        var count = 0

        init(start: UnsafeMutablePointer<UInt8>) { self.start = start }

        mutating func byte(_ value: UInt8) {
            start[count] = value
            count += 1
        }

        /// A text column: backslash, tab, newline and carriage return escaped.
        mutating func text(_ bytes: UnsafeBufferPointer<UInt8>) {
            for value in bytes {
                switch value {
                case UInt8(ascii: "\\"):
                    byte(value)
                    byte(value)
                case UInt8(ascii: "\t"):
                    byte(UInt8(ascii: "\\"))
                    byte(UInt8(ascii: "t"))
                case UInt8(ascii: "\n"):
                    byte(UInt8(ascii: "\\"))
                    byte(UInt8(ascii: "n"))
                case UInt8(ascii: "\r"):
                    byte(UInt8(ascii: "\\"))
                    byte(UInt8(ascii: "r"))
                default: byte(value)
                }
            }
        }

        mutating func integer(_ value: Int64) {
            if value < 0 { byte(UInt8(ascii: "-")) }
            digits(value.magnitude, minimumCount: 1)
        }

        /// The exact decimal text of a ``Decimal12`` (`12`, `-0.5`, `0.000000000001`).
        mutating func decimal(_ value: Decimal12) {
            // Values beyond UInt64 units (above about 18 million) are rare: take the general path.
            guard let magnitude = UInt64(exactly: value.units.magnitude) else {
                var description = value.description
                description.withUTF8 { text($0) }
                return
            }
            if value.units < 0 { byte(UInt8(ascii: "-")) }
            let scale = UInt64(Decimal12.scale)
            digits(magnitude / scale, minimumCount: 1)
            var fraction = magnitude % scale
            guard fraction != 0 else { return }
            var fractionDigits = 12
            while fraction % 10 == 0 {
                fraction /= 10
                fractionDigits -= 1
            }
            byte(UInt8(ascii: "."))
            digits(fraction, minimumCount: fractionDigits)
        }

        /// `value`'s decimal digits, zero-padded on the left to `minimumCount`.
        private mutating func digits(_ value: UInt64, minimumCount: Int) {
            var length = 1
            var rest = value / 10
            while rest > 0 {
                length += 1
                rest /= 10
            }
            length = max(length, minimumCount)
            var remaining = value
            for index in stride(from: count + length - 1, through: count, by: -1) {
                start[index] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
            }
            count += length
        }
    }
#endif
