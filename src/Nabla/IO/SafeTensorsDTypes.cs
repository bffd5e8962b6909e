namespace Nabla.IO;

/// <summary>The dtype codes of the safetensors format and the order the reference writer lays tensors out in.</summary>
internal static class SafeTensorsDTypes
{
    public static string Code(DType dtype) => dtype switch
    {
        DType.Float32 => "F32",
        DType.Float64 => "F64",
        DType.Int32 => "I32",
        DType.Int64 => "I64",
        DType.Bool => "BOOL",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "no safetensors code for this dtype"),
    };

    public static DType? FromCode(string code) => code switch
    {
        "F32" => DType.Float32,
        "F64" => DType.Float64,
        "I32" => DType.Int32,
        "I64" => DType.Int64,
        "BOOL" => DType.Bool,
        _ => null,
    };

    /// <summary>Codes the format defines that Nabla has no dtype for (so the error can say "unsupported", not "unknown").</summary>
    public static bool IsKnownButUnsupported(string code) => code is
        "U8" or "I8" or "U16" or "I16" or "U32" or "U64" or "F16" or "BF16" or
        "F8_E5M2" or "F8_E4M3" or "F8_E8M0" or "F4" or "F6_E2M3" or "F6_E3M2" or "C64";

    /// <summary>
    /// Position in the reference implementation's <c>Dtype</c> enum (BOOL &lt; ... &lt; I32 &lt; U32 &lt; F32 &lt;
    /// F64 &lt; I64 &lt; U64), whose derived order its writer sorts by, descending, before the name. Only
    /// the relative order of Nabla's five dtypes matters here. Writing in this order keeps every tensor
    /// aligned to its element size, since the header is padded to a multiple of 8.
    /// </summary>
    public static int ReferenceOrder(DType dtype) => dtype switch
    {
        DType.Bool => 0,
        DType.Int32 => 1,
        DType.Float32 => 2,
        DType.Float64 => 3,
        DType.Int64 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };
}
