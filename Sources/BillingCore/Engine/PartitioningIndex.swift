extension RandomAccessCollection {
    /// The first index whose element is in the second part, by binary search: `isInSecondPart` must be
    /// false for a prefix of the elements and true for the rest (`endIndex` when it is never true).
    /// O(log n); the one binary search the usage buckets, the receipt curve and the arrival shapes share.
    public func partitioningIndex(where isInSecondPart: (Element) throws -> Bool) rethrows -> Index {
        var low = startIndex
        var count = self.count
        while count > 0 {
            let half = count / 2
            let middle = index(low, offsetBy: half)
            if try isInSecondPart(self[middle]) {
                count = half
            } else {
                low = index(after: middle)
                count -= half + 1
            }
        }
        return low
    }
}
