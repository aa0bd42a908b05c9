import BillingCore
import BillingDocument

/// `timeline`: actions at given clock times.
extension ScenarioReader {
    static let supportedActions = ["cancel_subscription", "preview_invoice"]
    static let futureActions = FormatFields.futureActions

    func readTimelineEntry(_ fields: Fields, index: Int) -> TimelineEntry? {
        sink.clean {
            let at = fields.required("at").flatMap { value -> Instant? in
                guard let instant = value.instant(), let clock else { return nil }
                if instant < clock.start { value.error("must not be before clock.start (\(clock.start))") }
                if instant > clock.until { value.error("is after clock.until (\(clock.until)), so it would never happen") }
                return instant
            }
            let actions = (Self.supportedActions + Self.futureActions).compactMap { fields.entry($0) }
                .sorted { ($0.keyLocation.line, $0.keyLocation.column) < ($1.keyLocation.line, $1.keyLocation.column) }
            guard let action = actions.first else {
                fields.sink.report(fields.path, "missing an action (\(Self.supportedActions.joined(separator: " or ")))", at: fields.location)
                return nil
            }
            for extra in actions.dropFirst() {
                sink.report(fields.path, "one action per timeline entry: `\(extra.key)` after `\(action.key)`", at: extra.keyLocation)
            }
            let parsed: TimelineAction?
            switch action.key {
            case "cancel_subscription":
                parsed =
                    action.value.mapping { action in
                        let subscription = subscriptions.resolve(action.required("subscription"))
                        let invoiceNow = action.read("invoice_now", default: false) { $0.bool() }
                        let prorate = action.read("prorate", default: false) { $0.bool() }
                        guard let subscription, let invoiceNow, let prorate else { return nil }
                        if let at { cancellations.append((subscription.id, at, index, fields.location)) }
                        return .cancelSubscription(subscription: subscription.id, invoiceNow: invoiceNow, prorate: prorate)
                    } ?? nil
            case "preview_invoice":
                parsed =
                    action.value.mapping { action in
                        action.apply(FormatFields.previewInvoice)
                        let subscription = subscriptions.resolve(action.required("subscription"))
                        let name = action.optional("as").map { previews.declare($0) } ?? previews.declare("preview_\(index)", at: action.value)
                        guard let subscription, let name else { return nil }
                        return .previewInvoice(subscription: subscription.id, name: name)
                    } ?? nil
            default:
                sink.report(action.value.path, "\(action.key) is not supported yet", at: action.keyLocation)
                parsed = nil
            }
            guard let at, let parsed else { return nil }
            return TimelineEntry(at: at, action: parsed)
        }
    }

    /// A subscription is canceled once: a second `cancel_subscription` of it (the later in clock order,
    /// then file order) is reported where it is written, naming the first.
    func checkCancellations() {
        var first: [String: (at: Instant, location: SourceLocation)] = [:]
        for cancel in cancellations.sorted(by: { ($0.at, $0.index) < ($1.at, $1.index) }) {
            let at = cancel.at
            if let earlier = first[cancel.subscription] {
                sink.report(
                    "subscription `\(cancel.subscription)` is already canceled at \(earlier.at) (the cancel_subscription at line \(earlier.location.line)); a subscription is canceled once",
                    at: cancel.location)
            } else {
                first[cancel.subscription] = (at, cancel.location)
            }
        }
    }
}
