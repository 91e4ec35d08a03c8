/// A piece of a read reply: bytes inside a verified leaf, kept alive until the reply is sent.
public struct ByteSegment: Sendable {
    let view: LeafView
    let range: Range<Int>

    public var count: Int { range.count }

    /// The bytes, valid for as long as this segment is alive.
    public var baseAddress: UnsafeRawPointer { UnsafeRawPointer(view.node.base + view.offset + range.lowerBound) }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(view.node) {
            try body(UnsafeRawBufferPointer(start: baseAddress, count: range.count))
        }
    }
}
