using System.Diagnostics.CodeAnalysis;
using System.Collections.Concurrent;
using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Text;
using Nabla.Primitives.Elementwise;

namespace Nabla.Backends.Cpu.Kernels.Codegen;

/// <summary>
/// The body of a generated fused kernel: runs the program over elements [start, start + count) of the output,
/// count a multiple of the vector width. Slot i &lt; inputs is read at arrays[i][offsets[i] + e] (or, for a broadcast
/// scalar, arrays[i][offsets[i]] for every e); output j is arrays[inputs + j] from offsets[inputs + j].
/// </summary>
internal delegate void FusedBody<T>(T[][] arrays, int[] offsets, int start, int count);

/// <summary>
/// Generates a <see cref="FusedBody{T}"/> for a <see cref="FusedElementwise"/> program: one loop over the output in
/// vectors (Vector512 where accelerated, else Vector256), each step one call of the vector method its eager kernel
/// uses (<see cref="FusedVectorSteps"/>), every intermediate a local the JIT keeps in a register, broadcast scalars
/// splatted once before the loop, every output stored at the end of each vector's steps (so an input may be exactly an
/// output's view). Emitted as IL into a DynamicMethod: IL can take a managed reference to an array
/// element and hand it to Vector512.LoadUnsafe/StoreUnsafe, which expression trees cannot (they have no ref locals
/// or pointers), and a DynamicMethod is compiled straight to optimized code, the step methods inlined.
/// Kernels are cached process-wide by the program's signature (steps, operands, exponents, outputs, dtype, broadcast inputs).
/// </summary>
[RequiresDynamicCode(KernelCodegen.Why), RequiresUnreferencedCode(KernelCodegen.Why)]
internal static class FusedKernelGenerator
{
    static readonly ConcurrentDictionary<string, Delegate?> Cache = new();

    /// <summary>The kernel for <paramref name="op"/> on <typeparamref name="T"/> with the inputs whose bit is set in
    /// <paramref name="broadcast"/> read as scalars; null when a step has no vector form (the interpreter runs it).</summary>
    public static FusedBody<T>? For<T>(FusedElementwise op, int inputs, ulong broadcast) where T : unmanaged
    {
        var key = Signature(op, inputs, typeof(T), broadcast);
        return (FusedBody<T>?)Cache.GetOrAdd(key, _ => Generate<T>(op, inputs, broadcast));
    }

    /// <summary>How many generated kernels the process holds (tests check the cache is shared).</summary>
    public static int Count => Cache.Count;

    static string Signature(FusedElementwise op, int inputs, Type dtype, ulong broadcast)
    {
        var text = new StringBuilder().Append(dtype.Name).Append(';').Append(inputs).Append(';').Append(broadcast).Append(';');
        for (int k = 0; k < op.Steps.Length; k++)
        {
            text.Append((int)op.Steps[k]).Append(',').Append(op.Operands[2 * k]).Append(',').Append(op.Operands[2 * k + 1]);
            if (op.Steps[k] == FusedStep.PowScalar) text.Append(',').Append(BitConverter.DoubleToInt64Bits(op.Scalars[k]));
            text.Append(';');
        }
        return text.Append("->").AppendJoin(',', op.Outputs).ToString();
    }

    static FusedBody<T>? Generate<T>(FusedElementwise op, int inputs, ulong broadcast) where T : unmanaged
    {
        // Without a JIT (NativeAOT) IL would be interpreted, if it runs at all: the tile interpreter is the better choice.
        if (!KernelCodegen.IsSupported) return null;
        var vector = FusedVectorSteps.VectorOf(typeof(T));
        var calls = new MethodInfo[op.Steps.Length][];
        for (int k = 0; k < calls.Length; k++)
            if ((calls[k] = FusedVectorSteps.For(op, k, typeof(T), vector)!) is null) return null;
        var vectorClass = vector == typeof(Vector512<T>) ? typeof(Vector512) : typeof(Vector256);
        int width = (int)vector.GetProperty("Count")!.GetValue(null)!;

        var method = new DynamicMethod($"fused_{op.Steps.Length}_{typeof(T).Name}", typeof(void),
            [typeof(T[][]), typeof(int[]), typeof(int), typeof(int)], typeof(FusedKernelGenerator).Module, skipVisibility: true);
        var il = method.GetILGenerator();
        var slots = new LocalBuilder[inputs + op.Steps.Length];
        int outputs = op.Outputs.Length;
        var bases = new LocalBuilder?[inputs + outputs];
        for (int i = 0; i < inputs + outputs; i++)
        {
            bool scalar = i < inputs && (broadcast >> i & 1) != 0;
            // arrays[i] and offsets[i], then the element (a broadcast scalar) or a reference to it (a run).
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldc_I4, i);
            il.Emit(OpCodes.Ldelem_Ref);
            il.Emit(OpCodes.Ldarg_1);
            il.Emit(OpCodes.Ldc_I4, i);
            il.Emit(OpCodes.Ldelem_I4);
            if (scalar)
            {
                il.Emit(OpCodes.Ldelem, typeof(T));
                il.Emit(OpCodes.Call, vectorClass.GetMethod("Create", [typeof(T)])!);
                il.Emit(OpCodes.Stloc, slots[i] = il.DeclareLocal(vector));
            }
            else
            {
                il.Emit(OpCodes.Ldelema, typeof(T));
                il.Emit(OpCodes.Stloc, bases[i] = il.DeclareLocal(typeof(T).MakeByRefType()));
                if (i < inputs) slots[i] = il.DeclareLocal(vector);
            }
        }
        var load = Generic(vectorClass, "LoadUnsafe", 2, typeof(T));
        var store = Generic(vectorClass, "StoreUnsafe", 3, typeof(T));
        var e = il.DeclareLocal(typeof(int));
        var last = il.DeclareLocal(typeof(int));
        // e = start; last = start + count - width (the last vector's first element)
        il.Emit(OpCodes.Ldarg_2);
        il.Emit(OpCodes.Stloc, e);
        il.Emit(OpCodes.Ldarg_2);
        il.Emit(OpCodes.Ldarg_3);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Ldc_I4, width);
        il.Emit(OpCodes.Sub);
        il.Emit(OpCodes.Stloc, last);
        var body = il.DefineLabel();
        var test = il.DefineLabel();
        il.Emit(OpCodes.Br, test);
        il.MarkLabel(body);
        for (int i = 0; i < inputs; i++)
        {
            if (bases[i] is null) continue;
            il.Emit(OpCodes.Ldloc, bases[i]!);
            il.Emit(OpCodes.Ldloc, e);
            il.Emit(OpCodes.Conv_U);
            il.Emit(OpCodes.Call, load);
            il.Emit(OpCodes.Stloc, slots[i]);
        }
        for (int k = 0; k < op.Steps.Length; k++)
        {
            il.Emit(OpCodes.Ldloc, slots[op.Operands[2 * k]]);
            if (op.IsBinary(k)) il.Emit(OpCodes.Ldloc, slots[op.Operands[2 * k + 1]]);
            foreach (var call in calls[k]) il.Emit(OpCodes.Call, call);
            il.Emit(OpCodes.Stloc, slots[inputs + k] = il.DeclareLocal(vector));
        }
        for (int j = 0; j < outputs; j++)
        {
            il.Emit(OpCodes.Ldloc, slots[inputs + op.Outputs[j]]);
            il.Emit(OpCodes.Ldloc, bases[inputs + j]!);
            il.Emit(OpCodes.Ldloc, e);
            il.Emit(OpCodes.Conv_U);
            il.Emit(OpCodes.Call, store);
        }
        // e += width
        il.Emit(OpCodes.Ldloc, e);
        il.Emit(OpCodes.Ldc_I4, width);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Stloc, e);
        il.MarkLabel(test);
        il.Emit(OpCodes.Ldloc, e);
        il.Emit(OpCodes.Ldloc, last);
        il.Emit(OpCodes.Ble, body);
        il.Emit(OpCodes.Ret);
        return method.CreateDelegate<FusedBody<T>>();
    }

    static MethodInfo Generic(Type vectorClass, string name, int parameters, Type dtype) =>
        vectorClass.GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Single(m => m.Name == name && m.IsGenericMethodDefinition && m.GetParameters() is var p && p.Length == parameters
                && p[parameters - 1].ParameterType == typeof(nuint))
            .MakeGenericMethod(dtype);
}
