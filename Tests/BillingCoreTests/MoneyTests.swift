import BillingCore
import Testing

/// Currency, Decimal12 and ExactDecimal (BILLING-SEMANTICS §3.1, §3.5; Decisions 2 and 4).
@Suite("Money")
struct MoneyTests {
    // MARK: Currency

    struct ExponentCase: Sendable, CustomTestStringConvertible {
        var code: String
        var exponent: Int
        var testDescription: String { "\(code) → \(exponent)" }
    }

    /// Stripe's currencies page (§3.1): zero-decimal list (JPY, KRW, …), three-decimal (KWD, BHD, …),
    /// everything else two decimals. Codes are accepted in any case and stored lowercase.
    @Test(arguments: [
        ExponentCase(code: "usd", exponent: 2), ExponentCase(code: "USD", exponent: 2), ExponentCase(code: "eur", exponent: 2),
        ExponentCase(code: "gbp", exponent: 2), ExponentCase(code: "jpy", exponent: 0), ExponentCase(code: "JPY", exponent: 0),
        ExponentCase(code: "krw", exponent: 0), ExponentCase(code: "xpf", exponent: 0), ExponentCase(code: "kwd", exponent: 3),
        ExponentCase(code: "bhd", exponent: 3), ExponentCase(code: "tnd", exponent: 3),
    ])
    func currencyExponent(_ c: ExponentCase) throws {
        let currency = try #require(Currency(code: c.code))
        #expect(currency.exponent == c.exponent)
        #expect(currency.code == c.code.lowercased())
        #expect(currency.description == c.code.lowercased())
    }

    /// A code is one of the ISO 4217 codes Stripe accepts (issue 8: `xyz` was accepted).
    @Test(arguments: ["", "us", "usdd", "u$d", "12a", "us ", "üsd", "xyz", "abc", "xxx"])
    func invalidCurrencyCodes(_ code: String) {
        #expect(Currency(code: code) == nil)
    }

    struct FormatCase: Sendable, CustomTestStringConvertible {
        var code: String
        var minor: Int64
        var formatted: String
        var described: String
        var testDescription: String { "\(code) \(minor)" }
    }

    /// Minor units shown in major units: divide by 10^exponent, sign in front of the digits.
    @Test(arguments: [
        // 8000 ¢ = 80.00 USD: the seed's usage line.
        FormatCase(code: "usd", minor: 8000, formatted: "USD 80.00", described: "8000 (USD 80.00)"),
        // 5 ¢ = 0.05: the fraction keeps its leading zero.
        FormatCase(code: "usd", minor: 5, formatted: "USD 0.05", described: "5 (USD 0.05)"),
        FormatCase(code: "usd", minor: 0, formatted: "USD 0.00", described: "0 (USD 0.00)"),
        // −5161 ¢ (a credit proration) = −51.61.
        FormatCase(code: "usd", minor: -5161, formatted: "USD -51.61", described: "-5161 (USD -51.61)"),
        FormatCase(code: "usd", minor: -8000, formatted: "USD -80.00", described: "-8000 (USD -80.00)"),
        // JPY is zero-decimal: 500 means ¥500.
        FormatCase(code: "jpy", minor: 500, formatted: "JPY 500", described: "500 (JPY 500)"),
        FormatCase(code: "jpy", minor: -500, formatted: "JPY -500", described: "-500 (JPY -500)"),
        // KWD has three decimals: 1234 fils = 1.234 KWD; 5 fils = 0.005.
        FormatCase(code: "kwd", minor: 1234, formatted: "KWD 1.234", described: "1234 (KWD 1.234)"),
        FormatCase(code: "kwd", minor: 5, formatted: "KWD 0.005", described: "5 (KWD 0.005)"),
        // The extremes do not trap: |Int64.min| = 9223372036854775808.
        FormatCase(
            code: "usd", minor: .min, formatted: "USD -92233720368547758.08", described: "-9223372036854775808 (USD -92233720368547758.08)"),
        FormatCase(code: "usd", minor: .max, formatted: "USD 92233720368547758.07", described: "9223372036854775807 (USD 92233720368547758.07)"),
    ])
    func formatAndDescribe(_ c: FormatCase) throws {
        let currency = try #require(Currency(code: c.code))
        #expect(currency.format(c.minor) == c.formatted)
        #expect(currency.describe(c.minor) == c.described)
    }

    // MARK: Decimal12

    struct DecimalCase: Sendable, CustomTestStringConvertible {
        var text: String
        /// The value × 10¹².
        var units: Int128
        /// The canonical description.
        var canonical: String
        var testDescription: String { "\"\(text)\"" }
    }

    /// ENGINE-RULES "Meter events" rule 8/9: plain decimals (`12`, `-3`, `0.5`) with at most 12 fractional
    /// and 24 integer digits. units = value × 10¹²; the canonical form drops trailing zeros.
    @Test(arguments: [
        DecimalCase(text: "12", units: 12_000_000_000_000, canonical: "12"),
        DecimalCase(text: "-3", units: -3_000_000_000_000, canonical: "-3"),
        DecimalCase(text: "0.5", units: 500_000_000_000, canonical: "0.5"),
        DecimalCase(text: "+7", units: 7_000_000_000_000, canonical: "7"),
        DecimalCase(text: "3000", units: 3_000_000_000_000_000, canonical: "3000"),
        DecimalCase(text: "12.50", units: 12_500_000_000_000, canonical: "12.5"),
        DecimalCase(text: "-0.25", units: -250_000_000_000, canonical: "-0.25"),
        DecimalCase(text: "007", units: 7_000_000_000_000, canonical: "7"),
        DecimalCase(text: "0", units: 0, canonical: "0"),
        DecimalCase(text: "-0", units: 0, canonical: "0"),
        DecimalCase(text: "0.000", units: 0, canonical: "0"),
        // Twelve decimals, the smallest unit.
        DecimalCase(text: "0.000000000001", units: 1, canonical: "0.000000000001"),
        DecimalCase(text: "-0.000000000001", units: -1, canonical: "-0.000000000001"),
        DecimalCase(text: "1.000000000001", units: 1_000_000_000_001, canonical: "1.000000000001"),
        // 24 integer digits and 12 fractional digits: the largest magnitude (10²⁴ − 10⁻¹²).
        DecimalCase(
            text: "999999999999999999999999.999999999999", units: 999_999_999_999_999_999_999_999_999_999_999_999,
            canonical: "999999999999999999999999.999999999999"),
        DecimalCase(
            text: "-123456789012345678901234", units: -123_456_789_012_345_678_901_234_000_000_000_000, canonical: "-123456789012345678901234"),
    ])
    func decimal12Parses(_ c: DecimalCase) throws {
        let parsed = try Decimal12.parse(c.text).get()
        #expect(parsed.units == c.units)
        #expect(parsed.description == c.canonical)
        #expect(Decimal12(c.text) == parsed)
        // The canonical text parses back to the same value.
        #expect(Decimal12(c.canonical) == parsed)
        // `exact` carries the same value into ExactDecimal.
        #expect(parsed.exact == ExactDecimal(parsing: c.canonical))
    }

    /// "no exponent, no thousands separator" (ENGINE-RULES rule 8): anything but sign, digits and one point.
    @Test(arguments: ["1e3", "1E3", "1,000", "", "-", "+", ".", "1.2.3", "abc", " 1", "1 ", "--1", "+-1", "1-", "0x10", "½", "١٢", "NaN", "inf"])
    func decimal12RejectsInvalid(_ text: String) {
        #expect(Decimal12.parse(text) == .failure(.invalid))
        #expect(Decimal12(text) == nil)
    }

    /// ENGINE-RULES rule 9: more than 12 decimal places or more than 24 integer digits.
    @Test(arguments: [
        "0.0000000000001",  // 13th decimal place
        "1.1234567890123",
        "-0.0000000000009",
        "1000000000000000000000000",  // 25 integer digits (10²⁴)
        "-1234567890123456789012345",
        "1234567890123456789012345.5",
    ])
    func decimal12RejectsTooManyDigits(_ text: String) {
        #expect(Decimal12.parse(text) == .failure(.tooManyDigits))
    }

    /// ENGINE-RULES checks rule 8 (`meter_event_invalid_value`, not a decimal) before rule 9 (too many
    /// digits): a string that is not a decimal number at all is `.invalid`, however many digits it has.
    @Test(arguments: ["1234567890123456789012345e3", "0.0000000000001e5", "0.0000000000001.5", "1000000000000000000000000,000"])
    func decimal12InvalidWinsOverTooManyDigits(_ text: String) {
        #expect(Decimal12.parse(text) == .failure(.invalid))
    }

    /// Integer construction and arithmetic are exact in units of 10⁻¹².
    @Test func decimal12Arithmetic() throws {
        let a = try #require(Decimal12("0.1"))
        var sum = Decimal12.zero
        for _ in 0..<10 { sum += a }
        // 10 × 0.1 = 1 exactly (no binary floating point).
        #expect(sum == Decimal12(1))
        #expect(sum.isInteger)
        #expect(a.isInteger == false)
        #expect(Decimal12(3) - Decimal12(5) == Decimal12(-2))
        #expect((Decimal12(3) + Decimal12("-5.5")!).description == "-2.5")
        #expect(Decimal12(-2) < Decimal12.zero)
        #expect(Decimal12(1).units == Decimal12.scale)
    }

    // MARK: ExactDecimal

    struct ExactCase: Sendable, CustomTestStringConvertible {
        var text: String
        var description: String
        var testDescription: String { "\"\(text)\"" }
    }

    /// Plain decimals with at most 12 fractional digits (trailing zeros do not count).
    @Test(arguments: [
        ExactCase(text: "4", description: "4"), ExactCase(text: "0.05", description: "0.05"), ExactCase(text: "-12.5", description: "-12.5"),
        ExactCase(text: "10000", description: "10000"), ExactCase(text: "0.000000000001", description: "0.000000000001"),
        ExactCase(text: "+3.10", description: "3.1"), ExactCase(text: "-0", description: "0"), ExactCase(text: "000.5", description: "0.5"),
        ExactCase(text: "1.0000000000000", description: "1"),
    ])
    func exactDecimalParses(_ c: ExactCase) throws {
        let value = try #require(ExactDecimal(parsing: c.text))
        #expect(value.description == c.description)
        #expect(ExactDecimal(parsing: c.description) == value)
    }

    @Test(arguments: ["", "-", ".", "1e3", "1,5", "1.2.3", "abc", "1.0000000000001", " 1", "١"])
    func exactDecimalRejects(_ text: String) {
        #expect(ExactDecimal(parsing: text) == nil)
    }

    struct RoundCase: Sendable, CustomTestStringConvertible {
        var value: String
        var rounded: Int64
        var testDescription: String { "\(value) → \(rounded)" }
    }

    /// Decisions 4: round once, half away from zero.
    @Test(arguments: [
        RoundCase(value: "1.5", rounded: 2), RoundCase(value: "2.5", rounded: 3),  // half-even would give 2
        RoundCase(value: "-2.5", rounded: -3), RoundCase(value: "-1.5", rounded: -2), RoundCase(value: "1.49", rounded: 1),
        RoundCase(value: "1.4999999999", rounded: 1), RoundCase(value: "0.5", rounded: 1), RoundCase(value: "-0.5", rounded: -1),
        RoundCase(value: "-0.49", rounded: 0), RoundCase(value: "540.955", rounded: 541),  // §3.5 proration example
        RoundCase(value: "166.35", rounded: 166), RoundCase(value: "7", rounded: 7), RoundCase(value: "0", rounded: 0),
    ])
    func roundsHalfAwayFromZero(_ c: RoundCase) throws {
        let value = try #require(ExactDecimal(parsing: c.value))
        #expect(value.roundedToMinorUnits() == c.rounded)
        #expect(value.rounded() == ExactDecimal(c.rounded))
    }

    /// §3.5 / §4.5: unit_amount_decimal 0.05 ¢ × 30 = 1.5 ¢ → 2 ¢.
    @Test func decimalAmountExample() throws {
        let amount = try #require(ExactDecimal(parsing: "0.05")) * ExactDecimal(30)
        #expect(amount == ExactDecimal(parsing: "1.5"))
        #expect(amount.roundedToMinorUnits() == 2)
    }

    /// §3.5 proration example: 3252 × 445540 / 2678400 = 540.955… → 541; 1000 × the same = 166.35 → 166.
    @Test func prorationExample() {
        #expect(ExactDecimal(3252).scaled(by: 445_540, over: 2_678_400).roundedToMinorUnits() == 541)
        #expect(ExactDecimal(1000).scaled(by: 445_540, over: 2_678_400).roundedToMinorUnits() == 166)
        #expect((-ExactDecimal(1000).scaled(by: 445_540, over: 2_678_400)).roundedToMinorUnits() == -166)
    }

    /// Rounding up (ceil) and down (floor) for transform_quantity (§3.3).
    @Test(arguments: [
        RoundCase(value: "0.25", rounded: 1), RoundCase(value: "1", rounded: 1), RoundCase(value: "1.2", rounded: 2),
        RoundCase(value: "2.5", rounded: 3), RoundCase(value: "0", rounded: 0), RoundCase(value: "1.000000000001", rounded: 2),
    ])
    func roundsUp(_ c: RoundCase) throws {
        #expect(try #require(ExactDecimal(parsing: c.value)).rounded(up: true) == ExactDecimal(c.rounded))
    }

    @Test(arguments: [
        RoundCase(value: "0.25", rounded: 0), RoundCase(value: "1", rounded: 1), RoundCase(value: "1.4", rounded: 1),
        RoundCase(value: "1.999999999999", rounded: 1), RoundCase(value: "0", rounded: 0),
    ])
    func roundsDown(_ c: RoundCase) throws {
        #expect(try #require(ExactDecimal(parsing: c.value)).rounded(up: false) == ExactDecimal(c.rounded))
    }

    @Test func exactDecimalBasics() throws {
        #expect(ExactDecimal(parsing: "2.50")!.isInteger == false)
        #expect(ExactDecimal(parsing: "2.00")!.isInteger)
        #expect(ExactDecimal(3) - ExactDecimal(5) == ExactDecimal(-2))
        #expect(-ExactDecimal(parsing: "1.5")! == ExactDecimal(parsing: "-1.5")!)
        #expect(ExactDecimal(parsing: "0.1")! < ExactDecimal(parsing: "0.11")!)
        #expect(ExactDecimal.zero.description == "0")
    }
}

/// Computed exact amounts (up to 38–39 significant digits) read back exactly, as stores need.
struct ExactDecimalRoundTripTests {
    @Test(
        arguments: [(1, 31), (17, 31), (170_000, 31), (123_456_789, 7), (-10_000, 3), (5, 8), (2, 3), (1, 7_000_000_000_000), (0, 5)]
            as [(Int64, Int64)])
    func divisionsRoundTrip(numerator: Int64, denominator: Int64) throws {
        let value = ExactDecimal(numerator).scaled(by: 1, over: denominator)
        let parsed = try #require(ExactDecimal(exactText: value.description), "\(value)")
        #expect(parsed == value)
        #expect(parsed.description == value.description)
    }

    @Test(arguments: ["", "-", "1.2.3", "1e5", "abc", ".5", "+1"])
    func notExactText(text: String) {
        #expect(ExactDecimal(exactText: text) == nil)
    }
}
