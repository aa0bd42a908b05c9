import BillingCore
import BillingDocument
import Foundation
import Yams

/// The YAML side of `usage:`: literal events, file references and generator specs (the file
/// readers and generators themselves live in UsageSources.swift and Generators.swift).
extension ScenarioReader {
    func readUsage(_ fields: Fields, index: Int) -> UsageStream? {
        let sources = ["events", "file", "generate"].compactMap { fields.entry($0) }
        guard sources.count == 1, let source = sources.first else {
            let message =
                sources.isEmpty
                ? "a usage stream needs one of `events`, `file` or `generate`"
                : "a usage stream has one of `events`, `file` or `generate`, not \(sources.map { "`\($0.key)`" }.joined(separator: " and "))"
            fields.sink.report(fields.path, message, at: fields.location)
            return nil
        }
        return sink.clean {
            switch source.key {
            case "events": readEvents(source.value).map(UsageStream.events)
            case "file": readFile(source.value)
            default: source.value.mapping { readGenerator($0, index: index) } ?? nil
            }
        }
    }

    /// Literal events. Payload values are kept as written, valid or not: the engine rejects bad
    /// ones at run time under Stripe's error codes, as Stripe would.
    func readEvents(_ value: YAMLValue) -> [MeterEvent]? {
        (value.list() ?? []).compactMap { eventValue in
            eventValue.mapping { fields -> MeterEvent? in
                fields.apply(StripeFields.meterEvent)
                let name = fields.required("event_name")?.string()
                let timestamp = fields.required("timestamp")?.instant()
                let payload = fields.required("payload")?.mapping { payload in
                    var result: [String: String] = [:]
                    for entry in payload.entries {
                        payload.ignore([entry.key])
                        guard case .scalar(let scalar) = entry.value.node else {
                            entry.value.error("payload values are strings, found \(entry.value.found)")
                            continue
                        }
                        result[entry.key] = scalar.string
                    }
                    return result
                }
                let identifier = fields.optional("identifier")?.identifier()
                let receivedAt = fields.optional("received_at")?.instant()
                guard let name, let timestamp, let payload else { return nil }
                return MeterEvent(eventName: name, timestamp: timestamp, identifier: identifier, payload: payload, receivedAt: receivedAt)
            } ?? nil
        }
    }

    /// A CSV or JSON Lines file, relative to the scenario's directory; it is read when the run starts.
    func readFile(_ value: YAMLValue) -> UsageStream? {
        guard let name = value.identifier() else { return nil }
        let resolved = name.hasPrefix("/") ? name : directory + name
        let fileName = name.split(separator: "/").last ?? ""
        let fileExtension = fileName.contains(".") ? fileName.split(separator: ".").last.map { $0.lowercased() } : nil
        let format: UsageFileFormat? =
            switch fileExtension {
            case "csv": .csv
            case "jsonl", "ndjson": .jsonl
            default: nil
            }
        if format == nil { value.error("cannot tell the format of \"\(name)\": name a .csv, .jsonl or .ndjson file") }
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory) || isDirectory.boolValue {
            value.error("no usage file at \(resolved) (paths are relative to the scenario's directory)")
        }
        return format.map { .file(path: resolved, format: $0, location: value.location) }
    }

    func readGenerator(_ fields: Fields, index: Int) -> UsageStream? {
        var meter: Meter?
        if let nameValue = fields.required("event_name"), let name = nameValue.identifier() {
            if let meterID = meterByEventName[name] {
                meter = meters.loaded.first { $0.id == meterID }
            } else {
                let known = meterByEventName.keys.sorted()
                nameValue.error(
                    "no meter has event_name `\(name)` "
                        + (known.isEmpty ? "(no meters are defined)" : "(event names: \(known.joined(separator: ", ")))"))
            }
        }
        var customerIDs: [String]?
        if let value = fields.required("customers") {
            if case .scalar(let scalar) = value.node, scalar.string == "all" {
                customerIDs = customers.order
            } else if case .sequence = value.node, let list = value.list() {
                if list.isEmpty { value.error("expected at least one customer id (or `all`)") }
                customerIDs = list.compactMap { customers.resolve($0)?.id }
            } else {
                value.error("expected a list of customer ids or `all`, found \(value.found)")
            }
        }
        let from = fields.required("from")?.instant()
        let toValue = fields.required("to")
        var to = toValue?.instant()
        if let from, let to, let toValue, to <= from { toValue.error("must be after from (\(from)); `to` is exclusive") }
        // Events after clock.until would never be received: the stream stops there.
        if let until = clock?.until, let end = to, end > until + TimeSpan(seconds: 1) { to = until + TimeSpan(seconds: 1) }
        let arrivals = fields.required("arrivals")?.mapping { plugin(GeneratorRegistry.arrivals, $0, role: "arrivals") } ?? nil
        // A count meter ignores values, so `value` may be left out for one.
        let valueField = meter?.formula == .count ? fields.optional("value") : fields.required("value")
        var values: (any ValueDistribution)? = ConstantValue(value: Decimal12(1))
        if let valueField { values = valueField.mapping { plugin(GeneratorRegistry.values, $0, role: "value") } ?? nil }
        let seed = fields.read("seed", default: 0) { $0.parse("an integer seed from 0 to \(UInt64.max)") { UInt64($0) } }
        guard let meter, let customerIDs, let from, let to, let arrivals, let values, let seed else { return nil }
        let spec = GeneratorSpec(
            eventName: meter.eventName, customerKey: meter.customerPayloadKey, valueKey: meter.valuePayloadKey, customers: customerIDs,
            from: from, to: max(to, from), arrivals: arrivals, values: values, seed: seed, identifierPrefix: "gen\(index)_")
        checkGeneratedEvents(spec, at: fields.location)
        return .generate(spec)
    }

    /// Builds a generator plugin from `{ kind: …, <parameters> }`. The plugin reads its own
    /// parameters; those it did not read are reported as unknown.
    func plugin<Plugin>(_ registry: [String: @Sendable (inout GeneratorParameters) throws -> Plugin], _ fields: Fields, role: String) -> Plugin? {
        let names = fields.entries.map(\.key)
        guard let kindValue = fields.required("kind"), let kind = kindValue.string() else {
            fields.ignore(names)
            return nil
        }
        guard let factory = registry[kind] else {
            kindValue.error("unknown \(role) kind `\(kind)` (known: \(registry.keys.sorted().joined(separator: ", ")))")
            fields.ignore(names)
            return nil
        }
        var values: [String: (text: String, location: SourceLocation)] = [:]
        var nested: [String: GeneratorParameters] = [:]
        for entry in fields.entries where entry.key != "kind" {
            if case .sequence = entry.value.node, let list = entry.value.list() {
                // A list of scalars (`values: [1, 5, 20]`) reaches the plugin as "1, 5, 20".
                let texts = list.compactMap { $0.scalar(expecting: "a single value") }
                if texts.count == list.count { values[entry.key] = (texts.joined(separator: ", "), entry.value.location) }
            } else if case .mapping = entry.value.node, let inner = entry.value.fields() {
                // A distribution where a number stands (`rate: { kind: lognormal, … }`): the plugin reads it.
                var innerValues: [String: (text: String, location: SourceLocation)] = [:]
                var innerKind = ""
                for innerEntry in inner.entries {
                    inner.ignore([innerEntry.key])
                    let text: String?
                    if case .sequence = innerEntry.value.node {
                        text = innerEntry.value.list()?.compactMap { $0.scalar(expecting: "a single value") }.joined(separator: ", ")
                    } else {
                        text = innerEntry.value.scalar(expecting: "a single value")
                    }
                    guard let text else { continue }
                    if innerEntry.key == "kind" { innerKind = text } else { innerValues[innerEntry.key] = (text, innerEntry.value.location) }
                }
                inner.finish()
                if innerKind.isEmpty { sink.report(entry.value.path, "missing `kind`", at: entry.value.location) }
                nested[entry.key] = GeneratorParameters(kind: innerKind, values: innerValues, location: entry.value.location)
            } else if let text = entry.value.scalar(expecting: "a single value") {
                values[entry.key] = (text, entry.value.location)
            }
        }
        var parameters = GeneratorParameters(kind: kind, values: values, location: fields.location)
        parameters.nested = nested
        do {
            let plugin = try factory(&parameters)
            fields.ignore(Array(parameters.used))
            return plugin
        } catch {
            // The plugin stops at its first problem, so parameters after it were never read: report
            // only that problem, not the unread parameters.
            fields.ignore(names)
            guard let problem = error as? GeneratorParameters.Problem else {
                fields.sink.report(fields.path, "\(error)", at: fields.location)
                return nil
            }
            // Plugins write "key: message"; put the key into the path.
            if let key = names.first(where: { problem.message.hasPrefix("\($0): ") }) {
                sink.report(fields.value.child(key), String(problem.message.dropFirst(key.count + 2)), at: problem.location)
            } else {
                sink.report(fields.path, problem.message, at: problem.location)
            }
            return nil
        }
    }
}
