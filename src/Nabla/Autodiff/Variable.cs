using Nabla.Engine;

namespace Nabla;

/// <summary>
/// A TensorFlow-style variable: a leaf tensor with its own copy of the initial value, changed in place
/// only by <see cref="Assign(Tensor)"/>, <see cref="AssignAdd(Tensor)"/> and <see cref="AssignSub(Tensor)"/>
/// (never recorded for gradients). A trainable floating variable requires grad, so it works with both
/// <see cref="GradientTape"/> (watched automatically when used inside a tape) and <c>Backward()</c>/<c>.Grad</c>.
/// </summary>
/// <remarks>
/// The assignments write the variable's memory and bump its version, like PyTorch's in-place ops: a
/// gradient that would go through an op which saved the old value throws (TensorFlow would silently use
/// the old value), so compute gradients before an update, as optimizers do. Values are converted to the
/// variable's dtype; NaN and Inf are stored as they are.
/// </remarks>
/// <example><code>
/// var x = new Variable(2.0f);
/// using var tape = new GradientTape();
/// var y = x * x + 3 * x;
/// var dy = tape.Gradient(y, x);   // 7
/// </code></example>
public class Variable : Tensor
{
    /// <summary>A trainable float32 scalar variable.</summary>
    public Variable(float value) : this(Scalar(value)) { }

    /// <summary>A trainable float64 scalar variable.</summary>
    public Variable(double value) : this(Scalar(value)) { }

    /// <summary>
    /// A variable holding a copy of <paramref name="initialValue"/>. Only floating variables can be
    /// trainable (an integer variable is a plain non-trainable state holder).
    /// </summary>
    public Variable(Tensor initialValue, bool trainable = true, string? name = null) : base(Copy(initialValue))
    {
        Trainable = trainable && initialValue.DType.IsFloating();
        Name = name ?? "Variable";
        if (Trainable) RequiresGrad = true;
    }

    static Tensor Copy(Tensor initialValue)
    {
        ArgumentNullException.ThrowIfNull(initialValue);
        return initialValue.CopyData();
    }

    /// <summary>Whether optimizers and tapes treat this variable as a parameter (and it requires grad).</summary>
    public bool Trainable { get; }

    /// <summary>The variable's name (e.g. <c>"dense/kernel"</c>); <c>"Variable"</c> when none was given.</summary>
    public string Name { get; }

    internal override bool IsTrainableVariable => Trainable;

    /// <summary>
    /// Replaces the value (same shape; a value that broadcasts to it, e.g. a row, is allowed; another shape
    /// throws an <see cref="ArgumentException"/> and leaves the variable unchanged). Returns this variable.
    /// </summary>
    public Variable Assign(Tensor value) => Change("Assign", value, (_, v) => v);

    /// <summary>Sets every element to <paramref name="value"/> (an integer variable takes whole numbers only). Returns this variable.</summary>
    public Variable Assign(double value) => Assign(Number(value));

    /// <summary>Adds <paramref name="delta"/> in place (TF's assign_add). Returns this variable.</summary>
    public Variable AssignAdd(Tensor delta) => Change("AssignAdd", delta, (a, d) => a + d);

    /// <summary>Adds a number in place. Returns this variable.</summary>
    public Variable AssignAdd(double delta) => AssignAdd(Number(delta));

    /// <summary>Subtracts <paramref name="delta"/> in place (TF's assign_sub). Returns this variable.</summary>
    public Variable AssignSub(Tensor delta) => Change("AssignSub", delta, (a, d) => a - d);

    /// <summary>Subtracts a number in place. Returns this variable.</summary>
    public Variable AssignSub(double delta) => AssignSub(Number(delta));

    // A whole number keeps an integer variable integer (intVar.AssignAdd(1) works, AssignAdd(0.5) throws).
    Tensor Number(double value) => ScalarOperand(value, isFloating: DType.IsFloating() || value != Math.Floor(value));

    Variable Change(string op, Tensor operand, Func<Tensor, Tensor, Tensor> compute)
    {
        ArgumentNullException.ThrowIfNull(operand);
        if (!FitsShape(operand.Shape))
            throw Errors.Arg($"Variable.{op}",
                $"the value has shape {operand.Shape} but the variable '{Name}' has shape {Shape}; a variable keeps its " +
                "shape, so the value must have that shape (or broadcast to it).");
        // Assignments are never recorded (TF semantics); backward through a saved old value then fails
        // with the version-counter error, as it must.
        using (Autograd.NoGrad())
            Apply($"Variable.{op}", operand.Detach(), compute);
        return this;
    }

    bool FitsShape(Shape value)
    {
        if (value.Rank > Rank) return false;
        for (int i = 1; i <= value.Rank; i++)
            if (value[value.Rank - i] != 1 && value[value.Rank - i] != Shape[Rank - i]) return false;
        return true;
    }

    /// <summary>Prints like TensorFlow's variables: name, then the tensor.</summary>
    public override string ToString() => $"<Variable '{Name}' {base.ToString()}>";
}
