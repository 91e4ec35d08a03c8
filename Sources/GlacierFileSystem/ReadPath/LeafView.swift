/// A verified leaf's bytes: a slice of a node buffer, which it keeps alive.
struct LeafView: Sendable {
    let node: NodeBuffer
    let offset: Int
    let length: Int

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: node.base + offset, count: length) }
}
