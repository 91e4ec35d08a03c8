import Dispatch
import Foundation

/// Waits for SIGINT or SIGTERM (or, when asked, the end of standard input), so the server can stop
/// cleanly instead of dying mid-write.
enum TerminationSignal {
    enum Cause: CustomStringConvertible {
        case signal(Int32)
        case standardInputClosed

        var description: String {
            switch self {
            case .signal(let s): "signal \(s)"
            case .standardInputClosed: "standard input closed"
            }
        }
    }

    /// - Parameter watchStandardInput: also return when stdin reaches end of file, so a parent
    ///   process that holds the other end of a pipe takes the emulator down with it, even if the
    ///   parent crashes.
    static func wait(watchStandardInput: Bool) async -> Cause {
        let (stream, continuation) = AsyncStream<Cause>.makeStream()
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)  // let the dispatch source, not the default action, handle it
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { continuation.yield(.signal(sig)) }
            source.resume()
            sources.append(source)
        }
        if watchStandardInput {
            // A plain thread: it blocks in read(2) for the life of the process.
            Thread.detachNewThread {
                var byte: UInt8 = 0
                while true {
                    let n = read(0, &byte, 1)
                    if n == 0 || (n < 0 && errno != EINTR) { break }
                }
                continuation.yield(.standardInputClosed)
            }
        }
        var iterator = stream.makeAsyncIterator()
        let cause = await iterator.next() ?? .signal(SIGTERM)
        for source in sources { source.cancel() }
        return cause
    }
}
