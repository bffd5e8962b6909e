namespace Nabla.Tests.IO;

/// <summary>
/// A write-only stream over <paramref name="inner"/> that counts what was written, for tests that make a
/// save fail or pause midway: subclasses decide what happens in <see cref="Write(ReadOnlySpan{byte})"/>.
/// </summary>
internal abstract class CountingWriteStream(Stream inner) : Stream
{
    protected readonly Stream Inner = inner;

    /// <summary>Bytes written through this stream so far.</summary>
    protected long Written;

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
    public override void WriteByte(byte value) => Write([value]);
    public override void Flush() => Inner.Flush();
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => Written; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
