/*
 * Accessible markup for Dash 4.4's own form components, repaired in the page.
 *
 * Why here: dcc.Dropdown, dcc.RadioItems, dcc.Checklist, dcc.Upload and the date pickers render ARIA that
 * screen readers misread, and take no aria-* props to correct it from Python:
 *  - their option lists say role="listbox"/"option" around native radio and checkbox inputs, so a screen
 *    reader announces a list box whose options hold more controls (and the list has no name). Native
 *    inputs inside <label>s are already the right semantics: the roles come off, and a radio group or a
 *    check group takes its name from the field's <label for>;
 *  - a drop-down's tab stop is a hidden proxy input (aria-hidden yet focusable) that hands focus on to the
 *    real button: the button itself becomes the tab stop, the proxy inert, and the button's name starts
 *    with the field's label instead of being only the current value;
 *  - an upload's file input has no name: it takes the visible text of its drop zone;
 *  - a date-range field's trigger carries aria-expanded on a role-less <div>: it becomes a named group.
 *  - a Mantine select labelled by our own <label for> leaves its open option list without a name.
 * Every repair is idempotent and re-applied when React re-renders (a MutationObserver), so nothing here
 * changes how a control looks or works. Delete this file when the pages' controls move to the design
 * system's (Mantine) components or dcc fixes its markup.
 */
(function () {
    'use strict';

    var counter = 0;

    function labelIdFor(id) {
        if (!id) { return null; }
        var label = document.querySelector('label[for="' + CSS.escape(id) + '"]');
        if (!label || !label.textContent.trim()) { return null; }
        if (!label.id) { label.id = 'a11y-label-' + (++counter); }
        return label.id;
    }

    function set(el, name, value) {
        if (el.getAttribute(name) !== value) { el.setAttribute(name, value); }
    }

    function unset(el, name) {
        if (el.hasAttribute(name)) { el.removeAttribute(name); }
    }

    function repairOptionList(list) {
        list.querySelectorAll('label.dash-options-list-option').forEach(function (option) {
            unset(option, 'role');
            unset(option, 'aria-selected');
        });
        if (list.classList.contains('dash-dropdown-options')) {
            var trigger = document.querySelector('button.dash-dropdown[aria-expanded="true"]');
            var label = trigger && (labelIdFor(trigger.id) || trigger.id);
            set(list, 'role', 'group');
            if (label) { set(list, 'aria-labelledby', label); }
            return;
        }
        var name = labelIdFor(list.id);
        if (name) {
            set(list, 'role', list.querySelector('input[type="radio"]') ? 'radiogroup' : 'group');
            set(list, 'aria-labelledby', name);
        } else {
            unset(list, 'role');
        }
    }

    function repairDropdown(proxy) {
        var button = proxy.nextElementSibling;
        if (!button || button.tagName !== 'BUTTON') { return; }
        if (!proxy.inert) { proxy.inert = true; }
        if (!button.disabled && button.tabIndex !== 0) { button.tabIndex = 0; }
        var label = labelIdFor(button.id);
        var names = (button.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean);
        if (label && names[0] !== label) {
            set(button, 'aria-labelledby', [label].concat(names.filter(function (n) { return n !== label; })).join(' '));
        }
    }

    function repairUpload(input) {
        if (input.hasAttribute('aria-labelledby')) { return; }
        var zone = input.parentElement;
        var text = zone ? zone.textContent.replace(/\s+/g, ' ').trim() : '';
        if (text) { set(input, 'aria-label', text); }
    }

    function repairDateTrigger(wrapper) {
        set(wrapper, 'role', 'group');
        var first = wrapper.querySelector('input');
        if (first && first.id) {
            var label = labelIdFor(first.id) || labelIdFor(wrapper.id.replace(/-wrapper$/, ''));
            var ids = (label ? [label] : []).concat(
                Array.prototype.map.call(wrapper.querySelectorAll('input[id]'), function (i) { return i.id; }));
            set(wrapper, 'aria-labelledby', ids.join(' '));
        }
    }

    // A Mantine select labelled by our own <label for> (not its label prop) leaves its open option list
    // unnamed, and its scrolling drop-down is no tab stop: the list takes the field's label, and the
    // drop-down becomes focusable (the options themselves are reached with the arrow keys).
    function repairCombobox(list) {
        var input = document.querySelector('[aria-controls="' + CSS.escape(list.id) + '"]');
        var label = input && labelIdFor(input.id);
        if (label && !list.getAttribute('aria-labelledby')) { set(list, 'aria-labelledby', label); }
        var dropdown = list.closest('.mantine-Select-dropdown, .mantine-MultiSelect-dropdown');
        if (dropdown) { set(dropdown, 'tabindex', '0'); }
    }

    function repair() {
        document.querySelectorAll('[role="listbox"][id^="mantine-"]').forEach(repairCombobox);
        document.querySelectorAll('.dash-options-list').forEach(repairOptionList);
        document.querySelectorAll('.dash-dropdown-focus-target').forEach(repairDropdown);
        document.querySelectorAll('input[type="file"]').forEach(repairUpload);
        document.querySelectorAll('.dash-datepicker-input-wrapper[aria-expanded]').forEach(repairDateTrigger);
    }

    new MutationObserver(repair).observe(document.documentElement, {
        subtree: true, childList: true, attributes: true,
        attributeFilter: ['role', 'aria-selected', 'aria-labelledby', 'aria-expanded', 'tabindex']
    });
    repair();
}());
