import CCrypto

/// OpenSSL as one process uses it.
public enum CryptoLibrary {
    /// Initialises OpenSSL without its clean-up at exit. That clean-up frees OpenSSL's global state
    /// (its locks among it) from inside `exit`, while a thread the exiting one has not waited for may
    /// still be hashing or sealing: that thread then dies of a bad pointer, and the process, which
    /// was exiting with a clear error, ends in a crash. The memory is the system's again at exit
    /// anyway. To be called by an executable before anything else uses OpenSSL: the first
    /// initialisation's options are the ones that hold.
    public static func initializeWithoutExitCleanup() throws {
        try checkCrypto(OPENSSL_init_crypto(UInt64(OPENSSL_INIT_NO_ATEXIT), nil), "OPENSSL_init_crypto")
    }
}
