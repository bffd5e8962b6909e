namespace Nabla;

/// <summary>What a gradient query returns for a source the target does not depend on (TensorFlow's tf.UnconnectedGradients).</summary>
public enum UnconnectedGradients
{
    /// <summary>Return null (TensorFlow's <c>None</c>).</summary>
    None,

    /// <summary>Return zeros shaped like the source.</summary>
    Zero,
}
