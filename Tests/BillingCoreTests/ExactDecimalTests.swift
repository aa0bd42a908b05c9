import BillingCore
import Testing

/// The pure-Swift exact decimal (no Foundation): parsing, text, arithmetic, division last, rounding,
/// comparisons across scales, products beyond 38 digits and `Int64` boundaries.
///
/// Expected values are worked out by hand in the comments (long multiplication, shifting by powers of
/// ten, short division); the long ones were also checked with Python's integers and `decimal` module
/// at 200 digits. The non-terminating quotients are the digits Foundation's `Decimal` printed for the
/// same division (the golden files hold them).
@Suite("ExactDecimal")
struct ExactDecimalTests {
    static func exact(_ text: String) -> ExactDecimal {
        guard let value = ExactDecimal(exactText: text) else { fatalError("not exact text: \(text)") }
        return value
    }

    // MARK: Parsing

    struct ParseCase: Sendable, CustomTestStringConvertible {
        var text: String
        var description: String
        var testDescription: String { "\"\(text)\" → \(description)" }
    }

    @Test(arguments: [
        ParseCase(text: "+1.5", description: "1.5"), ParseCase(text: "-0.25", description: "-0.25"), ParseCase(text: "-0.000", description: "0"),
        ParseCase(text: "+0", description: "0"), ParseCase(text: "000123.4500", description: "123.45"), ParseCase(text: "0012", description: "12"),
        ParseCase(text: "1.000000000000000000", description: "1"),  // trailing zeros do not count toward the 12 places
        ParseCase(text: "0.123456789012", description: "0.123456789012"), ParseCase(text: "-0.000000000001", description: "-0.000000000001"),
        ParseCase(text: ".5", description: "0.5"), ParseCase(text: "5.", description: "5"),  // as the Foundation-backed parser accepted
        ParseCase(text: "1000", description: "1000"), ParseCase(text: "-1000.10", description: "-1000.1"),
        // 26 + 12 = 38 significant digits: the most a person may write.
        ParseCase(text: "12345678901234567890123456.123456789012", description: "12345678901234567890123456.123456789012"),
        ParseCase(text: "12345678901234567890123456789012345678", description: "12345678901234567890123456789012345678"),
    ])
    func parses(_ c: ParseCase) throws {
        let value = try #require(ExactDecimal(parsing: c.text))
        #expect(value.description == c.description)
        #expect(ExactDecimal(parsing: c.description) == value)
        #expect(ExactDecimal(exactText: c.description) == value)
    }

    @Test(arguments: [
        "", "+", "-", ".", "+.", "1e3", "1E3", "1,5", "1.2.3", " 1", "1 ", "--1", "+-1", "0x10", "1_000", "١", "1.0000000000001",
        "0.1234567890123", "123456789012345678901234567.123456789012", "123456789012345678901234567890123456789", "½", "∞", "NaN",
    ])
    func rejects(_ text: String) {
        #expect(ExactDecimal(parsing: text) == nil)
    }

    @Test(arguments: ["", "-", "+1", "1e5", ".5", "-.5", "1.2.3", "1,5", " 1", "abc", "--1", "1.-2"])
    func rejectsAsExactText(_ text: String) {
        #expect(ExactDecimal(exactText: text) == nil)
    }

    /// Exact text has no digit limit but a length limit (a bound on the work a corrupt row can cause).
    @Test func exactTextLength() throws {
        let long = String(repeating: "9", count: ExactDecimal.maxExactTextLength)
        let value = try #require(ExactDecimal(exactText: long))
        #expect(value.description == long)
        #expect(ExactDecimal(exactText: long + "9") == nil)
        // Trailing zeros, as a PostgreSQL numeric may render them, read as the same value.
        #expect(ExactDecimal(exactText: "1.5000") == ExactDecimal(parsing: "1.5"))
        #expect(ExactDecimal(exactText: "-0.000") == .zero)
        #expect(ExactDecimal(exactText: "5.") == ExactDecimal(5))
    }

    // MARK: Text

    /// `description` → `init(exactText:)` → the same value and text, at any size.
    @Test(arguments: [
        "0", "1", "-1", "0.5", "-0.000000000001", "10000", "100000000000000000000000000000000000000000000000000",
        "340282366920938463463374607431768211456",  // 2¹²⁸: beyond Foundation's 128-bit significand
        "5483.8709677419354838709677419354838709", "0.00000000000000000021684043449710088680149056017398834228515625",
        "-9999999999999999999999999999999999999800000000000000.000000000000000000000001",
    ])
    func descriptionRoundTrips(_ text: String) throws {
        let value = try #require(ExactDecimal(exactText: text))
        #expect(value.description == text)
        #expect(ExactDecimal(exactText: value.description) == value)
    }

    // MARK: Arithmetic

    @Test func addsSubtractsMultiplies() throws {
        let e = Self.exact
        #expect(e("0.1") + e("0.2") == e("0.3"))
        #expect((e("0.1") + e("0.2")).description == "0.3")
        #expect((e("1.5") - e("2.25")).description == "-0.75")  // 1.50 − 2.25
        #expect((e("-1.5") - e("-1.5")).description == "0")
        #expect((e("-1.5") * e("-2")).description == "3")
        #expect((e("0.05") * ExactDecimal(30)).description == "1.5")
        #expect((e("-0.05") * ExactDecimal(30)).description == "-1.5")
        #expect((e("0.000000000001") * e("0.000000000001")).description == "0.000000000000000000000001")  // 10⁻¹² × 10⁻¹² = 10⁻²⁴
        #expect((e("1000") * e("0.001")).description == "1")
        #expect((ExactDecimal.zero - e("7.25")).description == "-7.25")
        #expect((-ExactDecimal.zero).description == "0")
        // 10²⁰ + 10⁻²⁰: exponents 40 apart, every digit kept.
        #expect((e("100000000000000000000") + e("0.00000000000000000001")).description == "100000000000000000000.00000000000000000001")
    }

    /// A 24-digit meter quantity with 12 decimals × a 12-decimal unit amount: 48 significant digits, all
    /// kept (Foundation's `Decimal` kept 38). a × 1.000000000001 = a + a × 10⁻¹², added by hand:
    ///   123456789012345678901234.123456789012
    /// +             123456789012.345678901234123456789012
    /// = 123456789012469135690246.469135690246123456789012
    @Test func productBeyond38DigitsIsExact() throws {
        let quantity = try #require(ExactDecimal(parsing: "123456789012345678901234.123456789012"))
        let unitAmount = try #require(ExactDecimal(parsing: "1.000000000001"))
        let product = quantity * unitAmount
        #expect(product.description == "123456789012469135690246.469135690246123456789012")
        #expect(product - quantity == Self.exact("123456789012.345678901234123456789012"))
        // (10²⁶ − 10⁻¹²)² = 10⁵² − 2 × 10¹⁴ + 10⁻²⁴: 77 significant digits.
        let nines = try #require(ExactDecimal(parsing: "99999999999999999999999999.999999999999"))
        #expect((nines * nines).description == "9999999999999999999999999999999999999800000000000000.000000000000000000000001")
        // The same square, negated on one side: the sign follows.
        #expect((-nines * nines).description == "-9999999999999999999999999999999999999800000000000000.000000000000000000000001")
        // Rounded once to minor units, past Int64: nil, not a wrapped number.
        #expect(product.roundedToMinorUnits() == nil)
    }

    /// A meter sum beyond 26 integer digits (Int128 units) converts exactly (no parsing limit applies).
    @Test func decimal12ConvertsExactly() {
        let sum = Decimal12(units: Int128.max)
        #expect(sum.exact.description == "170141183460469231731687303.715884105727")
        #expect(Decimal12(units: Int128.min).exact.description == "-170141183460469231731687303.715884105728")
        #expect(Decimal12(units: 1).exact.description == "0.000000000001")
        #expect(Decimal12(units: 5_000_000_000_000).exact == ExactDecimal(5))
    }

    // MARK: Division last

    struct ScaleCase: Sendable, CustomTestStringConvertible {
        var amount: String
        var numerator: Int64
        var denominator: Int64
        var exact: String
        var rounded: Int64?
        var testDescription: String { "\(amount) × \(numerator) ÷ \(denominator)" }
    }

    @Test(arguments: [
        // 999 × 25 = 24975; 24975 ÷ 30 = 832.5 exactly; half away from zero → 833.
        ScaleCase(amount: "999", numerator: 25, denominator: 30, exact: "832.5", rounded: 833),
        // The same half, negative: → −833 (away from zero, not toward +∞).
        ScaleCase(amount: "-999", numerator: 25, denominator: 30, exact: "-832.5", rounded: -833),
        ScaleCase(amount: "999", numerator: -25, denominator: 30, exact: "-832.5", rounded: -833),
        ScaleCase(amount: "999", numerator: 25, denominator: -30, exact: "-832.5", rounded: -833),
        ScaleCase(amount: "-999", numerator: -25, denominator: 30, exact: "832.5", rounded: 833),
        // 1 ÷ 8 = 0.125; 3 × 1 ÷ 2 = 1.5 → 2; −3 ÷ 2 = −1.5 → −2.
        ScaleCase(amount: "1", numerator: 1, denominator: 8, exact: "0.125", rounded: 0),
        ScaleCase(amount: "3", numerator: 1, denominator: 2, exact: "1.5", rounded: 2),
        ScaleCase(amount: "-3", numerator: 1, denominator: 2, exact: "-1.5", rounded: -2),
        // 1 ÷ 2⁶² = 5⁶² × 10⁻⁶²: terminates, so every one of its 44 digits is kept (Foundation kept 38).
        ScaleCase(
            amount: "1", numerator: 1, denominator: 4_611_686_018_427_387_904,
            exact: "0.00000000000000000021684043449710088680149056017398834228515625", rounded: 0),
        // 1 ÷ 3 does not terminate: ⌊1 × 10³⁸ ÷ 3⌋ × 10⁻³⁸, 38 threes (the dividend's digit, then 38 more).
        ScaleCase(amount: "1", numerator: 1, denominator: 3, exact: "0.33333333333333333333333333333333333333", rounded: 0),
        // 10000 × 17 ÷ 31 (a stub of 17 of January's 31 days), as the golden files hold it.
        ScaleCase(amount: "10000", numerator: 17, denominator: 31, exact: "5483.8709677419354838709677419354838709", rounded: 5484),
        ScaleCase(amount: "-10000", numerator: 1, denominator: 3, exact: "-3333.3333333333333333333333333333333333", rounded: -3333),
        // §3.5: 3252 × 445540 ÷ 2678400 = 540.955… → 541 (the 42-digit quotient cut to 38, as Foundation did).
        ScaleCase(amount: "3252", numerator: 445_540, denominator: 2_678_400, exact: "540.95582437275985663082437275985663082", rounded: 541),
        ScaleCase(amount: "12750", numerator: 1, denominator: 7, exact: "1821.42857142857142857142857142857142857", rounded: 1821),
        ScaleCase(amount: "0", numerator: 5, denominator: 7, exact: "0", rounded: 0),
        // 3 × 10⁴⁰ + 1 over 3 = 10⁴⁰ + ⅓: beyond Foundation; 20 fractional digits kept, so the ⅓ is not lost.
        ScaleCase(
            amount: "30000000000000000000000000000000000000001", numerator: 1, denominator: 3,
            exact: "10000000000000000000000000000000000000000.33333333333333333333", rounded: nil),
    ])
    func scalesDivisionLast(_ c: ScaleCase) throws {
        let value = Self.exact(c.amount).scaled(by: c.numerator, over: c.denominator)
        #expect(value.description == c.exact)
        #expect(value.roundedToMinorUnits() == c.rounded)
        #expect(ExactDecimal(exactText: value.description) == value)
    }

    /// Truncating a non-terminating quotient never moves it across a whole number: 10⁴⁰ + ⅓ still
    /// rounds up to 10⁴⁰ + 1 and down to 10⁴⁰; 7 ÷ 5 = 1.4 up → 2 (transform_quantity).
    @Test func truncatedQuotientsRoundCorrectly() {
        let big = Self.exact("30000000000000000000000000000000000000001").scaled(by: 1, over: 3)
        #expect(big.rounded(up: true).description == "10000000000000000000000000000000000000001")
        #expect(big.rounded(up: false).description == "10000000000000000000000000000000000000000")
        #expect(big.rounded().description == "10000000000000000000000000000000000000000")
        #expect((-big).rounded(up: true).description == "-10000000000000000000000000000000000000000")
        #expect((-big).rounded(up: false).description == "-10000000000000000000000000000000000000001")
        #expect(ExactDecimal(7).scaled(by: 1, over: 5).rounded(up: true) == ExactDecimal(2))
        #expect(ExactDecimal(7).scaled(by: 1, over: 5).rounded(up: false) == ExactDecimal(1))
        // 2 × 10³⁷ ÷ 3 = 666…6.66… (37 sixes, then ⅔): rounds to 666…67, ceil the same, floor 666…66.
        let twoThirds = Self.exact("20000000000000000000000000000000000000").scaled(by: 1, over: 3)
        #expect(twoThirds.rounded().description == "6666666666666666666666666666666666667")
        #expect(twoThirds.rounded(up: true).description == "6666666666666666666666666666666666667")
        #expect(twoThirds.rounded(up: false).description == "6666666666666666666666666666666666666")
    }

    // MARK: Rounding

    struct RoundCase: Sendable, CustomTestStringConvertible {
        var value: String
        var scale: Int
        var rounded: String
        var testDescription: String { "\(value) to \(scale) places → \(rounded)" }
    }

    /// Half away from zero: the first dropped digit decides (5 or more: away from zero).
    @Test(arguments: [
        RoundCase(value: "1.25", scale: 1, rounded: "1.3"), RoundCase(value: "-1.25", scale: 1, rounded: "-1.3"),
        RoundCase(value: "1.35", scale: 1, rounded: "1.4"), RoundCase(value: "1.249999999999", scale: 1, rounded: "1.2"),
        RoundCase(value: "0.005", scale: 2, rounded: "0.01"), RoundCase(value: "-0.005", scale: 2, rounded: "-0.01"),
        RoundCase(value: "0.0049", scale: 2, rounded: "0"), RoundCase(value: "-0.0049", scale: 2, rounded: "0"),
        RoundCase(value: "0.0000000000005", scale: 12, rounded: "0.000000000001"), RoundCase(value: "2.5", scale: 0, rounded: "3"),
        RoundCase(value: "-2.5", scale: 0, rounded: "-3"), RoundCase(value: "0.5", scale: 0, rounded: "1"),
        RoundCase(value: "-0.5", scale: 0, rounded: "-1"), RoundCase(value: "0.4999999999999999999999999999999999999999", scale: 0, rounded: "0"),
        RoundCase(value: "9.5", scale: 0, rounded: "10"), RoundCase(value: "99.95", scale: 1, rounded: "100"),
        RoundCase(value: "125", scale: -1, rounded: "130"), RoundCase(value: "-125", scale: -1, rounded: "-130"),
        RoundCase(value: "124.99", scale: -1, rounded: "120"), RoundCase(value: "7.123", scale: 5, rounded: "7.123"),
        RoundCase(value: "1234.5678", scale: 2, rounded: "1234.57"), RoundCase(value: "-1234.5678", scale: 3, rounded: "-1234.568"),
        RoundCase(value: "0.50000000000000000000000000000000000000000000000001", scale: 0, rounded: "1"),
        RoundCase(value: "12345678901234567890123456789.5", scale: 0, rounded: "12345678901234567890123456790"),
    ])
    func roundsHalfAwayFromZero(_ c: RoundCase) {
        #expect(Self.exact(c.value).rounded(scale: c.scale).description == c.rounded)
    }

    @Test func roundsUpAndDownForNegatives() {
        let e = Self.exact
        #expect(e("-1.2").rounded(up: true) == ExactDecimal(-1))  // ceil
        #expect(e("-1.2").rounded(up: false) == ExactDecimal(-2))  // floor
        #expect(e("-2").rounded(up: true) == ExactDecimal(-2))
        #expect(e("1000000000000000000000000.000000000001").rounded(up: true).description == "1000000000000000000000001")
        #expect(e("1000000000000000000000000.999999999999").rounded(up: false).description == "1000000000000000000000000")
    }

    // MARK: Comparisons

    @Test func equalityAndHashAcrossScales() throws {
        let e = Self.exact
        #expect(ExactDecimal(parsing: "1.50") == ExactDecimal(parsing: "1.5"))
        #expect(ExactDecimal(parsing: "1.50") != nil)
        #expect(e("1.500") == e("1.5"))
        #expect(e("100.00") == ExactDecimal(100))
        #expect(e("-0.0") == ExactDecimal.zero)
        #expect(ExactDecimal(10) == e("10.000000000000000000000000000000"))
        #expect(Set([e("1.5"), e("1.50"), e("1.500000"), ExactDecimal(3).scaled(by: 1, over: 2)]).count == 1)
        #expect(Set([ExactDecimal(100), e("100.0"), ExactDecimal(1000) * e("0.1")]).count == 1)
        #expect((e("0.1") * ExactDecimal(10)).hashValue == ExactDecimal(1).hashValue)
        #expect(e("1.5") != e("1.05"))
    }

    @Test func ordering() {
        let e = Self.exact
        let sorted = [
            "-2", "-1.5", "-0.000000000000000000000000000001", "0", "0.000000000001", "0.1", "0.11", "1", "1.0000000000001", "10",
            "1" + String(repeating: "0", count: 60),
        ]
        let values = sorted.map(e)
        for (lower, higher) in zip(values, values.dropFirst()) {
            #expect(lower < higher, "\(lower) < \(higher)")
            #expect(!(higher < lower))
            #expect(lower != higher)
        }
        #expect(values.reversed().sorted() == values)
        // Far-apart exponents compare without building a huge number.
        #expect(e("0." + String(repeating: "0", count: 200) + "1") < e("1" + String(repeating: "0", count: 200)))
        #expect(-e("1" + String(repeating: "0", count: 200)) < -e("0." + String(repeating: "0", count: 200) + "1"))
        #expect(max(e("2.5"), e("2.50")) == e("2.5"))
        #expect(!(e("2.5") < e("2.50")))
    }

    // MARK: Int64 minor units

    @Test func int64Boundaries() {
        let e = Self.exact
        #expect(ExactDecimal(Int64.max).roundedToMinorUnits() == Int64.max)
        #expect(ExactDecimal(Int64.min).roundedToMinorUnits() == Int64.min)
        #expect((ExactDecimal(Int64.max) + ExactDecimal(1)).roundedToMinorUnits() == nil)  // 2⁶³
        #expect((ExactDecimal(Int64.min) - ExactDecimal(1)).roundedToMinorUnits() == nil)  // −2⁶³ − 1
        #expect(e("9223372036854775807.4").roundedToMinorUnits() == Int64.max)
        #expect(e("9223372036854775807.5").roundedToMinorUnits() == nil)  // rounds to 2⁶³
        #expect(e("9223372036854775806.5").roundedToMinorUnits() == Int64.max)
        #expect(e("-9223372036854775808.4").roundedToMinorUnits() == Int64.min)
        #expect(e("-9223372036854775808.5").roundedToMinorUnits() == nil)
        #expect(e("10000000000000000000").roundedToMinorUnits() == nil)  // 10¹⁹
        #expect(e("1000000000000000000").roundedToMinorUnits() == 1_000_000_000_000_000_000)  // 10¹⁸
        #expect(e("-1000000000000000000").roundedToMinorUnits() == -1_000_000_000_000_000_000)
        #expect(e("1" + String(repeating: "0", count: 40)).roundedToMinorUnits() == nil)
        #expect(e("18446744073709551616").roundedToMinorUnits() == nil)  // 2⁶⁴ (does not fit one limb)
        #expect(e("0.5").int64 == nil)
        #expect(e("-7").int64 == -7)
        #expect(ExactDecimal.zero.int64 == 0)
    }
}
