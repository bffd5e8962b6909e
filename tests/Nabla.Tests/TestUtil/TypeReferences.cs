using System.Reflection;
using System.Reflection.Emit;

namespace Nabla.Tests.TestUtil;

/// <summary>
/// The types a type refers to: in its signatures (base type, interfaces, fields, properties, method
/// parameters and returns, locals) and in its method bodies (every field, method and type token in
/// the IL). Nested types (closures, state machines) are part of the type that declares them.
/// </summary>
internal static class TypeReferences
{
    const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance |
                             BindingFlags.Static | BindingFlags.DeclaredOnly;

    static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>Every referenced type with the member that refers to it ("Type.Member").</summary>
    public static IEnumerable<(Type Referenced, string From)> Of(Type type)
    {
        var found = new List<(Type, string)>();
        void Add(Type? t, string from)
        {
            if (t is null) return;
            if (t.HasElementType) { Add(t.GetElementType(), from); return; }
            found.Add((t, from));
            if (t.IsGenericType && !t.IsGenericTypeDefinition)
                foreach (var a in t.GetGenericArguments()) Add(a, from);
        }

        string name = type.FullName ?? type.Name;
        Add(type.BaseType, name + " (base type)");
        foreach (var i in type.GetInterfaces()) Add(i, name + " (interface)");
        foreach (var f in type.GetFields(All)) Add(f.FieldType, $"{name}.{f.Name}");
        foreach (var p in type.GetProperties(All)) Add(p.PropertyType, $"{name}.{p.Name}");
        foreach (var m in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
        {
            string from = $"{name}.{m.Name}";
            if (m is MethodInfo mi) Add(mi.ReturnType, from);
            foreach (var p in m.GetParameters()) Add(p.ParameterType, from);
            foreach (var (t, _) in InBody(m)) Add(t, from + " (body)");
        }
        foreach (var nested in type.GetNestedTypes(All)) found.AddRange(Of(nested));
        return found;
    }

    /// <summary>Types named by a method body: its locals and the declaring/value types of the members its IL uses.</summary>
    public static IEnumerable<(Type Type, string Token)> InBody(MethodBase method)
    {
        var body = method.GetMethodBody();
        if (body is null) yield break;
        foreach (var local in body.LocalVariables) yield return (local.LocalType, "local");
        var il = body.GetILAsByteArray() ?? [];
        var typeArgs = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        int pos = 0;
        while (pos < il.Length)
        {
            short value = il[pos] == 0xFE ? (short)(0xFE00 | il[pos + 1]) : il[pos];
            pos += il[pos] == 0xFE ? 2 : 1;
            var op = OpCodesByValue[value];
            switch (op.OperandType)
            {
                case OperandType.InlineField:
                case OperandType.InlineMethod:
                case OperandType.InlineType:
                case OperandType.InlineTok:
                    var member = method.Module.ResolveMember(BitConverter.ToInt32(il, pos), typeArgs, methodArgs);
                    foreach (var t in TypesOf(member)) yield return (t, op.Name ?? "");
                    pos += 4;
                    break;
                case OperandType.InlineSwitch:
                    pos += 4 + 4 * BitConverter.ToInt32(il, pos);
                    break;
                default:
                    pos += OperandSize(op.OperandType);
                    break;
            }
        }
    }

    static IEnumerable<Type> TypesOf(MemberInfo? member)
    {
        switch (member)
        {
            case Type t: yield return t; break;
            case FieldInfo f:
                yield return f.DeclaringType!;
                yield return f.FieldType;
                break;
            case MethodBase m:
                if (m.DeclaringType is { } dt) yield return dt;
                if (m is MethodInfo mi) yield return mi.ReturnType;
                foreach (var p in m.GetParameters()) yield return p.ParameterType;
                if (m.IsGenericMethod)
                    foreach (var a in m.GetGenericArguments()) yield return a;
                break;
        }
    }

    static int OperandSize(OperandType t) => t switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        _ => 4,  // InlineBrTarget, InlineI, InlineSig, InlineString, ShortInlineR
    };
}
