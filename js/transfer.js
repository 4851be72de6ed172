// Which buffers a postMessage may transfer instead of copying.

/** The buffers of `arrays` that can be transferred: typed arrays spanning the whole of a
 * plain ArrayBuffer (not a part of one, not shared memory, not wasm memory), each once. */
export function transferable(arrays) {
  const buffers = new Set();
  for (const a of arrays) {
    if (
      ArrayBuffer.isView(a) &&
      a.buffer instanceof ArrayBuffer &&
      a.byteOffset === 0 &&
      a.byteLength === a.buffer.byteLength
    ) {
      buffers.add(a.buffer);
    }
  }
  return [...buffers];
}
