using System.Runtime.InteropServices;
using System.Text;
using Nabla.Distributed;

namespace Nabla.IO;

// How rank 0 hands a checkpoint's bytes (or its error message) to the other ranks (see Checkpoint.cs).
public static partial class Checkpoint
{
    // Rank 0 → the others: a header [isError, byte count] then the bytes, packed into int64 (the collectives' smallest dtype).
    static void DistributeText(ProcessGroup group, string message, bool isError) => Distribute(group, Encoding.UTF8.GetBytes(message), isError);

    static void Distribute(ProcessGroup group, byte[] bytes, bool isError)
    {
        group.BroadcastInPlace(Tensor.FromArray([isError ? 1L : 0L, bytes.Length], [2]));
        var words = new long[(bytes.Length + 7) / 8];
        bytes.CopyTo(MemoryMarshal.AsBytes(words.AsSpan()));
        if (words.Length > 0) group.BroadcastInPlace(Tensor.FromArray(words, [words.Length]));
    }

    static string ReceiveText(ProcessGroup group, out bool isError) => Encoding.UTF8.GetString(ReceiveBytes(group, out isError));

    static byte[] ReceiveBytes(ProcessGroup group, out bool isError)
    {
        var head = Tensor.FromArray([0L, 0L], [2]);
        group.BroadcastInPlace(head);
        var h = head.ToArray<long>();
        isError = h[0] != 0;
        int length = checked((int)h[1]);
        var words = Tensor.FromArray(new long[(length + 7) / 8], [(length + 7) / 8]);
        if (length > 0) group.BroadcastInPlace(words);
        return MemoryMarshal.AsBytes(words.ToArray<long>().AsSpan()).Slice(0, length).ToArray();
    }
}
