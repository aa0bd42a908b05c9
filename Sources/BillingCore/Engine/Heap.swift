/// A binary min-heap: the engine's queue of scheduled work, and the merge order of generated streams.
public struct Heap<Element: Comparable> {
    @usableFromInline var elements: [Element] = []

    @inlinable public init() {}

    @inlinable public var isEmpty: Bool { elements.isEmpty }
    @inlinable public func peek() -> Element? { elements.first }

    @inlinable public mutating func insert(_ element: Element) {
        elements.append(element)
        // Through a buffer pointer: elements compared and swapped where they are (indexing the array
        // copied each element compared, retaining and releasing what it holds: 5% of billing's samples).
        elements.withUnsafeMutableBufferPointer { elements in
            var child = elements.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard elements[child] < elements[parent] else { break }
                elements.swapAt(child, parent)
                child = parent
            }
        }
    }

    @discardableResult
    @inlinable public mutating func removeMin() -> Element? {
        guard !elements.isEmpty else { return nil }
        elements.swapAt(0, elements.count - 1)
        let minimum = elements.removeLast()
        elements.withUnsafeMutableBufferPointer { elements in
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < elements.count, elements[left] < elements[smallest] { smallest = left }
                if right < elements.count, elements[right] < elements[smallest] { smallest = right }
                guard smallest != parent else { break }
                elements.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return minimum
    }
}
