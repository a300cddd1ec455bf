/* Functions Mantine components may name (DMC's {"function": ...} props). A select whose options the server
 * already chose for the typed text (the console's address search matches aliases the labels do not show)
 * keeps them all instead of filtering them again by label. */
window.dashMantineFunctions = Object.assign(window.dashMantineFunctions || {}, {
  serverFiltered: function (input) { return input.options; }
});
