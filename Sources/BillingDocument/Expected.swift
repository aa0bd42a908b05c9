/// A place in a scenario file.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// 1-based.
    public var line: Int
    /// 1-based.
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// An expectation as written in a scenario: a tree of scalars, lists and mappings, each with its
/// location, compared field by field against a generated invoice (only written fields count).
public indirect enum Expected: Sendable, Hashable {
    case scalar(String, SourceLocation)
    case list([Expected], SourceLocation)
    /// Keys in file order.
    case map([ExpectedEntry], SourceLocation)

    public var location: SourceLocation {
        switch self {
        case .scalar(_, let location), .list(_, let location), .map(_, let location): location
        }
    }

    /// The value for `key` in a mapping.
    public subscript(key: String) -> Expected? {
        guard case .map(let entries, _) = self else { return nil }
        return entries.first { $0.key == key }?.value
    }
}

/// One `key: value` of an expected mapping.
public struct ExpectedEntry: Sendable, Hashable {
    public var key: String
    public var keyLocation: SourceLocation
    public var value: Expected

    public init(key: String, keyLocation: SourceLocation, value: Expected) {
        self.key = key
        self.keyLocation = keyLocation
        self.value = value
    }
}
