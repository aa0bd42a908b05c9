import ArgumentParser
import BillingCore
import BillingDocument
import BillingScenario
import Foundation

extension BillSim {
    /// The inputs a scenario generates, as CSV, for checking them outside billsim (e.g. in SQLite).
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a scenario's usage events or subscription items (generated ones included) as CSV.",
            discussion: """
                `usage`: event_name,timestamp,identifier,customer,value (timestamps in Unix seconds, in the order the \
                events are received). `subscriptions`: subscription,customer,created,billing_mode,item,price,quantity. \
                Nothing is billed: this is what the scenario feeds the engine. Exit 2 on an invalid file.
                """)

        enum What: String, ExpressibleByArgument, CaseIterable { case usage, subscriptions }

        @Argument(help: "usage or subscriptions.")
        var what: What

        @Argument(help: "A scenario file.")
        var scenario: String

        func run() async throws {
            let loaded = try loadOrExit(scenario, command: "export")
            var out = ""
            func flush() {
                FileHandle.standardOutput.write(Data(out.utf8))
                out = ""
            }
            switch what {
            case .subscriptions:
                out += "subscription,customer,created,billing_mode,item,price,quantity\n"
                for subscription in loaded.simulation.subscriptions {
                    for item in subscription.items {
                        out +=
                            "\(subscription.id),\(subscription.customer),\(subscription.created.seconds),\(subscription.billingMode.rawValue),\(item.id),\(item.price),\(item.quantity)\n"
                    }
                    if out.utf8.count > 1 << 16 { flush() }
                }
            case .usage:
                var source: MergedEventSource
                switch UsageSources.open(loaded.usage) {
                case .success(let opened): source = opened
                case .failure(let error):
                    printError(error.description)
                    throw ExitCode(2)
                }
                let meters = Dictionary(loaded.simulation.catalog.meters.map { ($0.eventName, $0) }, uniquingKeysWith: { first, _ in first })
                out += "event_name,timestamp,identifier,customer,value\n"
                while let event = try source.next() {
                    let meter = meters[event.eventName]
                    let customer = meter.flatMap { event.payload[$0.customerPayloadKey] } ?? ""
                    let value = meter.flatMap { event.payload[$0.valuePayloadKey] } ?? ""
                    out +=
                        [event.eventName, "\(event.timestamp.seconds)", event.identifier ?? "", customer, value].map(Self.csv).joined(separator: ",")
                        + "\n"
                    if out.utf8.count > 1 << 16 { flush() }
                }
            }
            flush()
        }

        /// A CSV field, quoted when it holds a comma, a quote or a line break.
        static func csv(_ field: String) -> String {
            guard field.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return field }
            return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
    }
}
