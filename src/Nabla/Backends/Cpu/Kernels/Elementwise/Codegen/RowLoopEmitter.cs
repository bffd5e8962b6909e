using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.Intrinsics;
using Nabla.Primitives.Reduce;

namespace Nabla.Backends.Cpu.Kernels.Codegen;

/// <summary>
/// Emits one row loop of a phase (<see cref="RowPhaseBody{T}"/>, or <see cref="RowBlockBody{T}"/>: the same loop for
/// every row of a block) into a DynamicMethod: splats and entry references
/// set up once, then per vector the loads, each row step's vector method, the stores, and either the reduced values
/// stored to the tail entries (one vector per iteration) or combined into four accumulators per reduction (four
/// vectors per iteration, the first four loaded into them), folded at the end into the fold entries.
/// </summary>
[RequiresDynamicCode(KernelCodegen.Why), RequiresUnreferencedCode(KernelCodegen.Why)]
internal sealed class RowLoopEmitter(FusedRows op, RowPhase phase, MethodInfo[][] calls, Type dtype, Type vector, ulong splatInputs)
{
    readonly Type vectorClass = vector.GetGenericTypeDefinition() == typeof(Vector512<>) ? typeof(Vector512) : typeof(Vector256);
    readonly int width = (int)vector.GetProperty("Count")!.GetValue(null)!;
    readonly int inputs = op.InputIsRow.Length;
    ILGenerator il = null!;
    LocalBuilder?[] bases = null!;
    Dictionary<int, LocalBuilder> splats = null!;
    LocalBuilder[,]? acc;
    LocalBuilder e = null!;

    bool block;

    /// <summary>The phase's loop over one row's [start, start + count): with four accumulators per reduction
    /// (<paramref name="accumulate"/>) or one vector at a time.</summary>
    public RowPhaseBody<T> Emit<T>(bool accumulate)
    {
        block = false;
        var method = new DynamicMethod($"rows_{op.Steps.Length}_{dtype.Name}_{(accumulate ? "main" : "vec")}", typeof(void),
            [typeof(T[][]), typeof(int[]), typeof(int), typeof(int)], typeof(RowLoopEmitter).Module, skipVisibility: true);
        il = method.GetILGenerator();
        RowLoop(accumulate);
        il.Emit(OpCodes.Ret);
        return method.CreateDelegate<RowPhaseBody<T>>();
    }

    /// <summary>The phase's loop over whole rows of a block (<see cref="RowBlockBody{T}"/>): per row the entries'
    /// offsets, then the row loop over all n elements (with four accumulators when <paramref name="accumulate"/>).</summary>
    public RowBlockBody<T> EmitBlock<T>(bool accumulate)
    {
        block = true;
        var method = new DynamicMethod($"rows_{op.Steps.Length}_{dtype.Name}_block", typeof(void),
            [typeof(T[][]), typeof(int[]), typeof(int[]), typeof(int[]), typeof(int), typeof(int), typeof(int)],
            typeof(RowLoopEmitter).Module, skipVisibility: true);
        il = method.GetILGenerator();
        var r = il.DeclareLocal(typeof(int));
        var end = il.DeclareLocal(typeof(int));
        il.Emit(OpCodes.Ldarg_S, (byte)4);
        il.Emit(OpCodes.Stloc, r);
        il.Emit(OpCodes.Ldarg_S, (byte)4);
        il.Emit(OpCodes.Ldarg_S, (byte)5);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Stloc, end);
        var row = il.DefineLabel();
        var test = il.DefineLabel();
        il.Emit(OpCodes.Br, test);
        il.MarkLabel(row);
        // offsets[i] = bases[i] + r * perRow[i]
        for (int i = 0; i < phase.Entries.Length; i++)
        {
            il.Emit(OpCodes.Ldarg_1);
            Constant(i);
            il.Emit(OpCodes.Ldarg_2);
            Constant(i);
            il.Emit(OpCodes.Ldelem_I4);
            il.Emit(OpCodes.Ldloc, r);
            il.Emit(OpCodes.Ldarg_3);
            Constant(i);
            il.Emit(OpCodes.Ldelem_I4);
            il.Emit(OpCodes.Mul);
            il.Emit(OpCodes.Add);
            il.Emit(OpCodes.Stelem_I4);
        }
        RowLoop(accumulate);
        il.Emit(OpCodes.Ldloc, r);
        Constant(1);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Stloc, r);
        il.MarkLabel(test);
        il.Emit(OpCodes.Ldloc, r);
        il.Emit(OpCodes.Ldloc, end);
        il.Emit(OpCodes.Blt, row);
        il.Emit(OpCodes.Ret);
        return method.CreateDelegate<RowBlockBody<T>>();
    }

    /// <summary>Set-up, the vector loop and the folds of one row (from start, or 0 in a block loop).</summary>
    void RowLoop(bool accumulate)
    {
        SetUp();
        e = il.DeclareLocal(typeof(int));
        Constant(0);
        il.Emit(OpCodes.Stloc, e);
        int group = accumulate ? 4 : 1;
        acc = null;
        if (accumulate)
        {
            // The first four vectors are the accumulators, as RowReducer loads them (no identity combined in).
            acc = new LocalBuilder[phase.Reductions.Length, 4];
            for (int c = 0; c < 4; c++) Vector(c, first: true);
            Constant(4 * width);
            il.Emit(OpCodes.Stloc, e);
        }
        var body = il.DefineLabel();
        var test = il.DefineLabel();
        il.Emit(OpCodes.Br, test);
        il.MarkLabel(body);
        for (int c = 0; c < group; c++) Vector(c, first: false);
        il.Emit(OpCodes.Ldloc, e);
        Constant(group * width);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Stloc, e);
        il.MarkLabel(test);
        il.Emit(OpCodes.Ldloc, e);
        if (block) il.Emit(OpCodes.Ldarg_S, (byte)6);
        else il.Emit(OpCodes.Ldarg_3);
        il.Emit(OpCodes.Blt, body);
        if (accumulate) Folds();
    }

    RowEntryKind Kind(int i) => RowKernelGenerator.KindOf(phase.Entries[i], inputs, splatInputs);

    /// <summary>Splats loaded and splatted; loads', stores' and tails' element references taken.</summary>
    void SetUp()
    {
        var entries = phase.Entries;
        bases = new LocalBuilder?[entries.Length];
        splats = [];
        for (int i = 0; i < entries.Length; i++)
        {
            var kind = Kind(i);
            if (kind == RowEntryKind.Fold) continue;
            Entry(i);
            if (kind == RowEntryKind.Splat)
            {
                il.Emit(OpCodes.Ldelem, dtype);
                il.Emit(OpCodes.Call, vectorClass.GetMethod("Create", [dtype])!);
                il.Emit(OpCodes.Stloc, splats[entries[i].Slot] = il.DeclareLocal(vector));
                continue;
            }
            if (kind != RowEntryKind.Tail && !block)
            {
                il.Emit(OpCodes.Ldarg_2);
                il.Emit(OpCodes.Add);
            }
            il.Emit(OpCodes.Ldelema, dtype);
            il.Emit(OpCodes.Stloc, bases[i] = il.DeclareLocal(dtype.MakeByRefType()));
        }
    }

    /// <summary>Pushes arrays[i] and offsets[i].</summary>
    void Entry(int i)
    {
        il.Emit(OpCodes.Ldarg_0);
        Constant(i);
        il.Emit(OpCodes.Ldelem_Ref);
        il.Emit(OpCodes.Ldarg_1);
        Constant(i);
        il.Emit(OpCodes.Ldelem_I4);
    }

    /// <summary>The vector at e + copy * width: loads, steps, stores, and the reductions' tail stores or accumulation.</summary>
    void Vector(int copy, bool first)
    {
        var values = new Dictionary<int, LocalBuilder>(splats);
        var entries = phase.Entries;
        for (int i = 0; i < entries.Length; i++)
        {
            if (Kind(i) != RowEntryKind.Load) continue;
            il.Emit(OpCodes.Ldloc, bases[i]!);
            Index(copy);
            il.Emit(OpCodes.Call, Generic("LoadUnsafe", 2));
            il.Emit(OpCodes.Stloc, values[entries[i].Slot] = il.DeclareLocal(vector));
        }
        foreach (int k in phase.RowSteps)
        {
            il.Emit(OpCodes.Ldloc, values[op.Operands[2 * k]]);
            if (op.IsBinary(k)) il.Emit(OpCodes.Ldloc, values[op.Operands[2 * k + 1]]);
            foreach (var call in calls[k]) il.Emit(OpCodes.Call, call);
            il.Emit(OpCodes.Stloc, values[inputs + k] = il.DeclareLocal(vector));
        }
        for (int i = 0; i < entries.Length; i++)
        {
            var kind = Kind(i);
            if (kind == RowEntryKind.Store || (kind == RowEntryKind.Tail && acc is null))
            {
                int slot = kind == RowEntryKind.Store ? entries[i].Slot : op.Operands[2 * entries[i].Slot];
                il.Emit(OpCodes.Ldloc, values[slot]);
                il.Emit(OpCodes.Ldloc, bases[i]!);
                Index(copy);
                il.Emit(OpCodes.Call, Generic("StoreUnsafe", 3));
            }
        }
        if (acc is null) return;
        for (int j = 0; j < phase.Reductions.Length; j++)
        {
            int k = phase.Reductions[j];
            if (first)
            {
                il.Emit(OpCodes.Ldloc, values[op.Operands[2 * k]]);
                il.Emit(OpCodes.Stloc, acc[j, copy] = il.DeclareLocal(vector));
                continue;
            }
            il.Emit(OpCodes.Ldloc, acc[j, copy]);
            il.Emit(OpCodes.Ldloc, values[op.Operands[2 * k]]);
            il.Emit(OpCodes.Call, OpType(op.Reductions[k]).GetMethod("Invoke", BindingFlags.Public | BindingFlags.Static, [vector, vector])!);
            il.Emit(OpCodes.Stloc, acc[j, copy]);
        }
    }

    /// <summary>arrays[fold][offsets[fold]] = the fold of reduction j's accumulators.</summary>
    void Folds()
    {
        var entries = phase.Entries;
        for (int i = 0, j = 0; i < entries.Length; i++)
        {
            if (Kind(i) != RowEntryKind.Fold) continue;
            Entry(i);
            var reduction = op.Reductions[entries[i].Slot];
            for (int c = 0; c < 4; c++) il.Emit(OpCodes.Ldloc, acc![j, c]);
            var fold = typeof(RowFold).GetMethod(vectorClass == typeof(Vector512) ? nameof(RowFold.Fold512) : nameof(RowFold.Fold256))!;
            il.Emit(OpCodes.Call, fold.MakeGenericMethod(dtype, OpType(reduction)));
            il.Emit(OpCodes.Stelem, dtype);
            j++;
        }
    }

    Type OpType(RowReduction reduction) => (reduction switch
    {
        RowReduction.Sum => typeof(ReduceOps.Sum<>),
        RowReduction.Max => typeof(ReduceOps.Max<>),
        _ => typeof(ReduceOps.Min<>),
    }).MakeGenericType(dtype);

    /// <summary>Pushes (nuint)(e + copy * width).</summary>
    void Index(int copy)
    {
        il.Emit(OpCodes.Ldloc, e);
        if (copy > 0)
        {
            Constant(copy * width);
            il.Emit(OpCodes.Add);
        }
        il.Emit(OpCodes.Conv_U);
    }

    void Constant(int value) => il.Emit(OpCodes.Ldc_I4, value);

    MethodInfo Generic(string name, int parameters) =>
        vectorClass.GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Single(m => m.Name == name && m.IsGenericMethodDefinition && m.GetParameters() is var p && p.Length == parameters
                && p[parameters - 1].ParameterType == typeof(nuint))
            .MakeGenericMethod(dtype);
}
