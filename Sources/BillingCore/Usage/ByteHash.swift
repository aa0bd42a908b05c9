/// The hash of the byte strings the usage path looks up per event (identifiers, customer ids, a usage
/// file's cells): eight bytes at a time, then a final mix so that both the low bits (a table slot) and
/// the high bits (``RecentIdentifiers``' tags) spread well. FNV-1a, one multiply per byte, was a tenth
/// of a 5M-row CSV run's CPU in the reader's value table alone (perf, `billsim bench --sources csv`).
/// Inlinable: the usage file readers, in another module, hash a few cells per row.
/// Values live only in memory: the bytes' order in a word (the machine's) never reaches any output.
public enum ByteHash {
    @inlinable
    public static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let count = bytes.count
        var hash = 0x9E37_79B9_7F4A_7C15 ^ UInt64(count)
        guard let base = bytes.baseAddress else { return mix(hash) }
        let raw = UnsafeRawPointer(base)
        var offset = 0
        while offset + 8 <= count {
            hash = step(hash, raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            offset += 8
        }
        if offset < count {
            // The last 1–7 bytes: the word that ends with them when there is one (overlapping bytes already
            // hashed), else byte by byte.
            var tail: UInt64 = 0
            if count >= 8 {
                tail = raw.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            } else {
                for index in offset..<count { tail |= UInt64(base[index]) << (8 * (index - offset)) }
            }
            hash = step(hash, tail)
        }
        return mix(hash)
    }

    /// The hash of `text`'s UTF-8 bytes.
    public static func hash(_ text: String) -> UInt64 {
        var text = text
        return text.withUTF8 { hash($0) }
    }

    @inlinable @inline(__always)
    public static func step(_ hash: UInt64, _ word: UInt64) -> UInt64 {
        let mixed = (hash ^ word) &* 0xff51_afd7_ed55_8ccd
        return mixed ^ (mixed >> 29)
    }

    /// MurmurHash3's 64-bit finalizer.
    @inlinable @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 {
        var hash = value
        hash ^= hash >> 33
        hash &*= 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        hash &*= 0xc4ce_b9fe_1a85_ec53
        return hash ^ (hash >> 33)
    }
}
