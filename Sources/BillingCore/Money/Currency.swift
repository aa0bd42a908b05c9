/// A currency with its minor-unit exponent, as Stripe lists it.
public struct Currency: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The lowercase ISO 4217 code (`usd`, `jpy`).
    public let code: String
    /// Digits after the decimal point of the major unit (0 for zero-decimal currencies).
    public let exponent: Int

    /// Stripe's zero-decimal currencies: amounts are whole units (100 means ¥100).
    static let zeroDecimalCodes: Set<String> = [
        "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf",
        "xof", "xpf",
    ]
    /// Stripe's three-decimal currencies.
    static let threeDecimalCodes: Set<String> = ["bhd", "jod", "kwd", "omr", "tnd"]

    /// Stripe's minimum charge amounts in minor units, for the currencies its table lists
    /// (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts; BILLING-SEMANTICS §6.5
    /// names 0.50 USD). Other currencies' minimum is "the equivalent of 0.50 USD" at an exchange rate
    /// billsim does not model, so none is applied for them.
    static let minimumChargeAmounts: [String: Int64] = [
        "usd": 50, "aed": 200, "aud": 50, "bgn": 100, "brl": 50, "cad": 50, "chf": 50, "czk": 1500, "dkk": 250, "eur": 50, "gbp": 30,
        "hkd": 400, "huf": 17500, "inr": 50, "jpy": 50, "mxn": 1000, "myr": 200, "nok": 300, "nzd": 50, "pln": 200, "ron": 200,
        "sek": 300, "sgd": 50, "thb": 1000,
    ]

    /// The ISO 4217 codes Stripe accepts as a presentment currency (docs.stripe.com/currencies, "Presentment
    /// currencies"), lowercase. A code outside it (`xyz`) is not a currency.
    static let supportedCodes: Set<String> = [
        "aed", "afn", "all", "amd", "ang", "aoa", "ars", "aud", "awg", "azn", "bam", "bbd", "bdt", "bgn", "bhd", "bif", "bmd", "bnd",
        "bob", "brl", "bsd", "bwp", "byn", "bzd", "cad", "cdf", "chf", "clp", "cny", "cop", "crc", "cve", "czk", "djf", "dkk", "dop",
        "dzd", "egp", "etb", "eur", "fjd", "fkp", "gbp", "gel", "gip", "gmd", "gnf", "gtq", "gyd", "hkd", "hnl", "htg", "huf", "idr",
        "ils", "inr", "isk", "jmd", "jod", "jpy", "kes", "kgs", "khr", "kmf", "krw", "kwd", "kyd", "kzt", "lak", "lbp", "lkr", "lrd",
        "lsl", "mad", "mdl", "mga", "mkd", "mmk", "mnt", "mop", "mur", "mvr", "mwk", "mxn", "myr", "mzn", "nad", "ngn", "nio", "nok",
        "npr", "nzd", "omr", "pab", "pen", "pgk", "php", "pkr", "pln", "pyg", "qar", "ron", "rsd", "rub", "rwf", "sar", "sbd", "scr",
        "sek", "sgd", "shp", "sle", "sos", "srd", "std", "szl", "thb", "tjs", "tnd", "top", "try", "ttd", "twd", "tzs", "uah", "ugx",
        "usd", "uyu", "uzs", "vnd", "vuv", "wst", "xaf", "xcd", "xof", "xpf", "yer", "zar", "zmw",
    ]

    /// A currency from a three-letter code in any case; `nil` when it is not a code Stripe accepts
    /// (``supportedCodes``).
    public init?(code raw: String) {
        let code = raw.lowercased()
        guard code.count == 3, Self.supportedCodes.contains(code) else { return nil }
        self.code = code
        if Self.zeroDecimalCodes.contains(code) {
            exponent = 0
        } else if Self.threeDecimalCodes.contains(code) {
            exponent = 3
        } else {
            exponent = 2
        }
    }

    public var description: String { code }

    /// The smallest amount Stripe charges in this currency, in minor units, if its table lists one.
    var minimumCharge: Int64? { Self.minimumChargeAmounts[code] }

    public static func < (lhs: Currency, rhs: Currency) -> Bool { lhs.code < rhs.code }

    /// An amount in minor units shown in major units: `8000` → `USD 80.00`, `500` (JPY) → `JPY 500`.
    /// Any integer width: a report's sum over many invoices is an `Int128`.
    public func format<Minor: BinaryInteger>(_ minor: Minor) -> String {
        let sign = minor < 0 ? "-" : ""
        let magnitude = minor.magnitude
        guard exponent > 0 else { return "\(code.uppercased()) \(sign)\(magnitude)" }
        var divisor: Minor.Magnitude = 1
        for _ in 0..<exponent { divisor *= 10 }
        var fraction = String(magnitude % divisor)
        while fraction.count < exponent { fraction = "0" + fraction }
        return "\(code.uppercased()) \(sign)\(magnitude / divisor).\(fraction)"
    }

    /// A unit amount in minor units shown in major units without the code: `50` → `0.50` (USD), a
    /// decimal one with its digits: `0.5` → `0.005`.
    func majorUnits(_ minor: ExactDecimal) -> String {
        if minor.isInteger, let whole = minor.int64 {
            let text = format(whole)
            return String(text[text.index(after: text.firstIndex(of: " ") ?? text.startIndex)...])
        }
        var divisor: Int64 = 1
        for _ in 0..<exponent { divisor *= 10 }
        return minor.scaled(by: 1, over: divisor).description
    }

    /// `8000 (USD 80.00)`: the form diffs and reports use.
    public func describe<Minor: BinaryInteger>(_ minor: Minor) -> String { "\(minor) (\(format(minor)))" }
}
