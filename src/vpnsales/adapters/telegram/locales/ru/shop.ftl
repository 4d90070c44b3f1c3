## Каталог, оформление заказа, оплата, промокоды и бесплатный период.

catalog-title =
    <b>🛒 Выберите тариф</b>

    Во всех тарифах быстрые серверы и приложения для iPhone, Android, Windows, macOS и Linux.
catalog-empty = Сейчас нет доступных тарифов. Загляните чуть позже.

tariff-card =
    <b>{ $name }</b>
    { $description }

    { $details }
tariff-line-traffic = 📶 Трафик: { $traffic }
tariff-line-devices = 📱 Устройств одновременно: { $devices }
tariff-line-devices-unlimited = 📱 Устройств: без ограничений
tariff-line-locations = 🌍 Локации: { $locations }
tariff-line-price-from = 💰 От { $price } в месяц
tariff-price-period = { $price } за { $period }
tariff-price-per-month = { $price }/мес.
tariff-unavailable = Этот тариф больше недоступен. Пожалуйста, выберите другой.

duration-choose =
    <b>{ $tariff }</b>

    Выберите срок. Чем он дольше, тем дешевле месяц.
duration-line = { $period }: <b>{ $price }</b> ({ $monthly }/мес.)
duration-line-saving = { $period }: <b>{ $price }</b> ({ $monthly }/мес., выгода { $percent }%)

payment-method-choose =
    <b>💳 Как вам удобнее оплатить?</b>

    { $summary }
method-card-hint = Visa, Mastercard, «Мир» и СБП через ЮKassa.
method-stars-hint = Звёздами Telegram, не выходя из Telegram.
method-crypto-hint = USDT, TON, BTC и другие монеты через Crypto Bot.
method-balance-hint = Деньгами с вашего баланса.

checkout-title = <b>🧾 Ваш заказ</b>
checkout-item = { $tariff }, { $period }
checkout-base = Стоимость: { $amount }
checkout-promo-discount = Промокод <code>{ $code }</code>: −{ $amount }
checkout-referral-discount = Скидка по приглашению: −{ $amount }
checkout-balance-used = С баланса: −{ $amount }
checkout-bonus-days = Бонус: +{ days-count }
checkout-total = <b>К оплате: { $amount }</b>
checkout-total-free = <b>Доплачивать не нужно</b>: заказ полностью покрывается балансом.
checkout-min-charge = Сумма увеличена до { $amount }: это минимальный платёж для выбранного способа оплаты.
checkout-renewal-note = Новый срок начнётся, когда закончится текущий, поэтому при раннем продлении вы не теряете ни дня.
checkout-pay-link =
    Нажмите <b>Оплатить</b>, чтобы перейти на защищённую страницу оплаты. Ссылка действует { minutes-count }.

    VPN включится автоматически, как только пройдёт оплата.
checkout-pay-stars = Нажмите <b>Оплатить</b> в счёте ниже. VPN включится сразу после оплаты.
checkout-pay-crypto =
    Нажмите <b>Оплатить</b>, чтобы открыть счёт в Crypto Bot. Счёт действует { minutes-count }.

    VPN включится автоматически, как только платёж подтвердится.
checkout-waiting = ⏳ Ждём оплату…
checkout-not-paid-yet = Оплата пока не поступила. Если вы только что заплатили, подождите минуту: мы напишем, как только деньги придут.
checkout-cancelled = Заказ отменён. Деньги не списаны.
checkout-paid-from-balance = ✅ Оплачено с баланса. Готовим ваш VPN…

invoice-title = VPN { $tariff }, { $period }
invoice-description = Доступ к VPN по тарифу { $tariff } на { $period }. Данные для подключения придут в этот чат сразу после оплаты.
invoice-label = { $tariff }, { $period }
invoice-top-up-title = Пополнение баланса
invoice-top-up-description = Пополнение баланса на { $amount }.

precheckout-payment-unknown = Не удалось найти этот заказ. Пожалуйста, оформите покупку заново из меню. Деньги не списаны.
precheckout-expired = Срок действия счёта истёк. Пожалуйста, создайте новый из меню. Деньги не списаны.
precheckout-tariff-unavailable = Этот тариф больше недоступен. Пожалуйста, выберите другой. Деньги не списаны.
precheckout-price-changed = С момента создания счёта цена изменилась. Пожалуйста, создайте новый счёт. Деньги не списаны.

promo-enter =
    🏷 Отправьте промокод сообщением.

    Промокод состоит из латинских букв, цифр, дефисов и подчёркиваний.
promo-applied-percent = ✅ Промокод <code>{ $code }</code> применён: скидка { $percent }%.
promo-applied-fixed = ✅ Промокод <code>{ $code }</code> применён: скидка { $amount }.
promo-applied-days = ✅ Промокод <code>{ $code }</code> применён: +{ days-count } к подписке.
promo-applied-trial-extension = ✅ Промокод <code>{ $code }</code> применён: бесплатный период продлён на { days-count }.
promo-applied-balance = ✅ Промокод <code>{ $code }</code> применён: на баланс зачислено { $amount }.
promo-removed = Промокод убран из заказа.

trial-offer =
    <b>🎁 Попробуйте бесплатно</b>

    VPN на { days-count } без оплаты: { $traffic }, { $devices }. Один бесплатный период на человека.
trial-activated = 🎉 Бесплатный период начался и продлится до <b>{ $date }</b>. Данные для подключения уже в пути.
trial-already-used = Вы уже пользовались бесплатным периодом. Выберите тариф, чтобы продолжить пользоваться VPN.
trial-unavailable = Бесплатный период сейчас недоступен.
