import CCrypto

/// An error from OpenSSL's libcrypto: which function failed and the text of OpenSSL's error queue.
public struct CryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    public let operation: String
    public let message: String

    /// Records that `operation` failed, draining OpenSSL's thread-local error queue into the message.
    init(failed operation: String) {
        self.operation = operation
        var texts: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            texts.append(buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        self.message = texts.isEmpty ? "no detail from OpenSSL" : texts.joined(separator: "; ")
    }

    public var description: String { "\(operation) failed: \(message)" }
}

/// Throws a ``CryptoError`` unless an OpenSSL call returned 1, its only success value.
@inline(__always)
func checkCrypto(_ result: Int32, _ operation: @autoclosure () -> String) throws {
    if result != 1 { throw CryptoError(failed: operation()) }
}
