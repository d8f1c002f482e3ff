/// The command line, split into the command, its options and its positional arguments. It knows
/// which options take a value; everything else about a command is the command's business.
struct Arguments {
    var command: String?
    var options: [String: String] = [:]
    var flags: Set<String> = []
    var positionals: [String] = []

    /// Options every command accepts.
    static let globalValued: Set<String> = ["--ledger", "--key-file"]

    init(_ raw: [String], valued: Set<String>, flags allowedFlags: Set<String>) throws(UsageError) {
        var index = 0
        while index < raw.count {
            let argument = raw[index]
            index += 1
            if argument == "-" || !argument.hasPrefix("-") {
                if command == nil { command = argument } else { positionals.append(argument) }
                continue
            }
            var name = argument
            var inlineValue: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inlineValue = String(argument[argument.index(after: equals)...])
            }
            if valued.contains(name) || Self.globalValued.contains(name) {
                if let inlineValue {
                    options[name] = inlineValue
                } else {
                    guard index < raw.count else { throw UsageError("\(name) needs a value") }
                    options[name] = raw[index]
                    index += 1
                }
            } else if allowedFlags.contains(name) || name == "--help" || name == "-h" {
                flags.insert(name == "-h" ? "--help" : name)
            } else {
                throw UsageError("unknown option \(name)")
            }
        }
    }

    func uint(_ name: String) throws(UsageError) -> UInt64? {
        guard let text = options[name] else { return nil }
        guard let value = UInt64(text) else { throw UsageError("\(name) must be a non-negative integer") }
        return value
    }
}

/// A mistake in how the command was called: exit 64.
struct UsageError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
