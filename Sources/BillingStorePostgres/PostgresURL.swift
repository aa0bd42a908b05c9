#if PostgreSQL
    import Foundation
    import PostgresNIO

    /// Where a ``PostgresBillingStore`` connects, parsed from a `postgres://` URL.
    ///
    /// Accepted forms (libpq's, minus TLS):
    /// - `postgres://user[:password]@host[:port]/database` (`postgresql://` too; port 5432 by default)
    /// - `postgres://user@/database?host=/socket/dir[&port=5432]`: a unix socket, the file
    ///   `/socket/dir/.s.PGSQL.<port>` (a `host` path that already ends in `.s.PGSQL.<port>` is used as is)
    struct PostgresURL: Sendable, Equatable {
        enum Endpoint: Sendable, Equatable {
            case tcp(host: String, port: Int)
            case unixSocket(path: String)
        }

        var endpoint: Endpoint
        var username: String
        var password: String?
        var database: String
        /// The URL without its password: how errors name the store.
        var display: String

        /// Parses `text` or throws a ``PostgresStoreError`` saying what is wrong and what is expected.
        init(_ text: String) throws {
            func malformed(_ reason: String) -> PostgresStoreError {
                PostgresStoreError(
                    store: Self.redacted(text),
                    message:
                        "malformed URL: \(reason) (expected postgres://user[:password]@host[:port]/database or postgres://user@/database?host=/socket/dir)"
                )
            }
            guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
                throw malformed("not a URL")
            }
            guard scheme == "postgres" || scheme == "postgresql" else { throw malformed("the scheme must be postgres or postgresql, not \(scheme)") }
            guard let user = components.user, !user.isEmpty else { throw malformed("no user name") }
            var database = components.path
            if database.hasPrefix("/") { database.removeFirst() }
            guard !database.isEmpty, !database.contains("/") else { throw malformed("no database name after the host") }

            var socketDirectory: String?
            var port = components.port
            for item in components.queryItems ?? [] {
                switch item.name {
                case "host": socketDirectory = item.value
                case "port":
                    guard let value = item.value.flatMap(Int.init) else { throw malformed("port=\(item.value ?? "") is not a number") }
                    port = value
                case "sslmode" where ["disable", "allow", "prefer"].contains(item.value ?? ""): break
                default: throw malformed("unsupported parameter \(item.name) (known: host, port, sslmode=disable)")
                }
            }
            let resolvedPort = port ?? 5432
            guard (1...65535).contains(resolvedPort) else { throw malformed("port \(resolvedPort) is out of range") }
            var host = components.host ?? ""
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            // libpq also takes a percent-encoded socket directory as the host (`postgres://u@%2Ftmp/db`).
            if host.hasPrefix("/") { socketDirectory = host }

            if let directory = socketDirectory {
                guard directory.hasPrefix("/") else { throw malformed("host=\(directory) must be an absolute socket directory") }
                let suffix = ".s.PGSQL.\(resolvedPort)"
                endpoint = .unixSocket(path: directory.hasSuffix("/" + suffix) ? directory : directory + "/" + suffix)
            } else {
                guard !host.isEmpty else { throw malformed("no host (use host=/socket/dir for a unix socket)") }
                endpoint = .tcp(host: host, port: resolvedPort)
            }
            username = user
            password = components.password
            self.database = database
            display = Self.redacted(text)
        }

        /// The postgres-nio configuration for this URL (no TLS).
        func configuration(connectTimeout: Duration) -> PostgresConnection.Configuration {
            var configuration: PostgresConnection.Configuration
            switch endpoint {
            case .tcp(let host, let port):
                configuration = .init(host: host, port: port, username: username, password: password, database: database, tls: .disable)
            case .unixSocket(let path):
                configuration = .init(unixSocketPath: path, username: username, password: password, database: database)
            }
            let (seconds, attoseconds) = connectTimeout.components
            configuration.options.connectTimeout = .milliseconds(max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000))
            configuration.options.additionalStartupParameters = [("application_name", "billsim")]
            return configuration
        }

        /// `text` with the password (between `user:` and `@`) replaced by `***`.
        static func redacted(_ text: String) -> String {
            guard let schemeEnd = text.range(of: "://") else { return text }
            let authority = text[schemeEnd.upperBound...].prefix { $0 != "/" && $0 != "?" }
            guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return text }
            return text[..<text.index(after: colon)] + "***" + text[at...]
        }
    }
#endif
