import BillingReports
import Foundation

/// Where `billsim run` writes its reports: `Reports/NAME/` with one file per report format, and
/// `Reports/README.md` saying what each file is.
///
/// NAME comes from what was selected (the paths, `--filter`, `--tag`), never from the clock: the
/// same run writes to the same folder, and the same results give the same bytes.
enum ReportFolder {
    /// `Scenarios/seed/flexible.yaml` → `Scenarios-seed-flexible`; several paths joined by `+`;
    /// `--filter x` and `--tag t` appended; characters other than letters, digits, `.`, `_`, `-`, `+`
    /// become `_`; a name longer than 80 characters is cut and ends with a hash of the whole.
    static func name(paths: [String], filter: String?, tags: [String]) -> String {
        let pieces = paths.map { path -> String in
            var path = path
            while path.count > 1, path.hasSuffix("/") { path.removeLast() }
            for suffix in [".yaml", ".yml"] where path.hasSuffix(suffix) { path.removeLast(suffix.count) }
            return path
        }
        var whole = pieces.joined(separator: "+")
        if let filter { whole += "--filter-" + filter }
        for tag in tags { whole += "--tag-" + tag }
        var name = String(
            whole.unicodeScalars.map { scalar -> Character in
                switch scalar {
                case "/": "-"
                case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-", "+": Character(scalar)
                default: "_"
                }
            })
        // No hidden folder, no `..`, no empty name.
        while let first = name.first, first == "." || first == "-" || first == "_" { name.removeFirst() }
        if name.isEmpty { name = "run" }
        if name.count > 80 {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a: the same on every machine (unlike Hasher)
            for byte in whole.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
            name = String(name.prefix(63)) + "-" + String(hash, radix: 16)
        }
        return name
    }

    /// `billsim compare Scenarios/whatif/x.yaml --variant a` → `Scenarios-whatif-x--compare--variant-a`.
    static func compareName(scenario: String, variants: [String]) -> String {
        name(
            paths: [name(paths: [scenario], filter: nil, tags: []) + "--compare" + variants.map { "--variant-" + $0 }.joined()], filter: nil, tags: []
        )
    }

    /// `Reports/README.md`: what a run's folder holds, from the formats themselves.
    static var readme: String {
        var out = """
            # Reports

            Every `billsim run` writes a folder here named after what it ran (`Scenarios`,
            `Scenarios-seed-flexible`, `Scenarios--tag-seed`; `--reports DIR` writes under DIR instead,
            `--no-reports` writes nothing). A later run of the same selection replaces its folder's files.
            Nothing in them depends on the clock: the same scenarios give the same bytes. Git ignores
            everything here but this file, which each run rewrites.

            Each folder holds:


            """
        for format in ReportRegistry.names.compactMap({ ReportRegistry.formats[$0] }).sorted(by: { $0.fileName < $1.fileName }) {
            out += "- `\(format.fileName)`: \(format.about).\n"
        }
        out += """

            A `billsim compare SCENARIO` folder (`NAME--compare`, `--variant-V` for each variant chosen) holds:

            - `report.html`: one self-contained page (inline CSS and SVG): revenue per plan with the delta against \
            the base, revenue by month per plan as a line chart, and per variant the per-customer deltas \
            (quartiles, a histogram, the biggest movers each way), then revenue by month and by price.
            - `summary.md`: the same figures in Markdown (charts as tables).
            - `comparison.json`: what `billsim compare --format json` prints.
            - `invoices.json`: every plan's invoices (the base, then each variant): \
            `{"path", "name", "plans": [{"name", "invoices"}]}`, each `invoices` an array of Stripe invoice objects, \
            what `billsim invoices --format stripe` prints.
            - `junit.xml`: a testcase per plan, with a `<failure>` listing its differences from `expect` / `expect.variants`.

            """
        return out
    }

    /// Writes the README into `parent` and every format's file into `parent/name`.
    static func write(parent: String, name: String, files: [(name: String, text: String)]) throws {
        let folder = URL(fileURLWithPath: parent).appendingPathComponent(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try readme.write(to: URL(fileURLWithPath: parent).appendingPathComponent("README.md"), atomically: true, encoding: .utf8)
        for file in files {
            try file.text.write(to: folder.appendingPathComponent(file.name), atomically: true, encoding: .utf8)
        }
    }
}
