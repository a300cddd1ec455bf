/* Mantine's date pickers format with their own bundled dayjs; DatesProvider registers a locale it finds as
 * window["dayjs_locale_<name>"]. dayjs's published locale file (03_dayjs_zh_cn.js, served from here, no CDN)
 * hands its locale object to a global `dayjs.locale(...)`: this stand-in catches it under that name. */
(function () {
  if (window.dayjs) { return; }
  window.dayjs = {
    locale: function (locale) {
      if (locale && locale.name) { window["dayjs_locale_" + locale.name] = locale; }
      return locale && locale.name;
    }
  };
}());
